import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepJobReturn, StepsRequest } from '@asahi/contracts';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createRedisConnection, type Redis } from '@asahi/queue';
import { createRedisRateLimiter } from './adapters/redis-rate-limiter';
import {
  BREAKER_TRIP_FAILURES,
  RATE_LIMIT_RPM,
  RATE_LIMITED_MODEL,
  setupStepsFixture,
  type StepsFixture,
} from './steps.fixture';
import { EXTRACT, SUMMARIZE, TRANSLATE } from './steps.fixture';
import { assembleJobId, stepJobId } from './steps-flow';

/**
 * Step flows under the tenant's policy and dispatch's controls: cache mode and TTL, the resolved
 * optimization mode for decomposition, one model per step whatever prepare's routing chose, and
 * the shared rate limits, breakers and fallback chains. Real Redis and Kafka; the provider is
 * the simulator (its call counter shows what was computed). Tenants and limits: steps.fixture.ts.
 */
let f: StepsFixture;
let redis: Redis;

beforeAll(async () => {
  f = await setupStepsFixture();
  redis = createRedisConnection(readInfraEndpoints()!.redisUrl, 'steps-policy-it');
});

afterAll(async () => {
  await redis?.quit();
  await f?.close();
});

const doc = (label: string) =>
  `${label} (${f.ns}). Kyoto was the capital of Japan for more than a thousand years.`;
const steps = (input: string, model?: string): StepsRequest => ({
  input,
  steps: [SUMMARIZE, TRANSLATE, EXTRACT].map((s) => (model ? { ...s, model } : s)),
});
const calls = async () => (await f.simStats()).chatCompletions;
const stepKeys = (tenantId: string) => redis.keys(`${f.queuePrefix}:cache:step:{${tenantId}}:*`);
/** Without the fixture request's own cache control: the tenant's policy alone decides. */
const noOwnCache = { cache: undefined };

async function recordsOf(requestId: string, outputStep: string) {
  const job = await f.stepsQueue.getJob(stepJobId(requestId, outputStep));
  return (job?.returnvalue as StepJobReturn).records;
}

async function counted(
  counter: { get(): Promise<{ values: { value: number; labels: object }[] }> },
  labels: Record<string, string>,
) {
  const { values } = await counter.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => (v.labels as never)[k] === l))
    .reduce((n, v) => n + v.value, 0);
}

describe('the tenant’s cache policy applies to steps', () => {
  it('a tenant with cache mode off shares no step: nothing is read or written', async () => {
    const input = doc('cache off');
    const before = await calls();
    const run = () =>
      f.run(f.makeRequest({ tenantId: 'tenant_cache_off', steps: steps(input), ...noOwnCache }));
    const first = await run();
    const second = await run();
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    expect(await calls()).toBe(before + 6); // every step computed twice
    expect(second).toMatchObject({ cacheTier: 'none', savings: { intermediate: 0 } });
    expect(await stepKeys('tenant_cache_off')).toEqual([]);
  });

  it('a tenant TTL is the TTL of its step entries', async () => {
    const result = await f.run(
      f.makeRequest({ tenantId: 'tenant_ttl', steps: steps(doc('ttl')), ...noOwnCache }),
    );
    expect(result.status).toBe('succeeded');
    const keys = await stepKeys('tenant_ttl');
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(120);
    }
  });
});

describe('decomposition follows the resolved optimization mode (request, tenant, platform)', () => {
  const prompt = (label: string) =>
    `Summarize the following document and then translate the summary into French:\n\n${doc(label).repeat(5)}`;

  it('a tenant whose policy is safe gets a prompt without a mode decomposed', async () => {
    const before = await calls();
    const request = f.makeRequest({ tenantId: 'tenant_opt_safe', content: prompt('tenant safe') });
    expect(request.optimization).toBeUndefined();
    const result = await f.run(request);
    expect(result.status).toBe('succeeded');
    expect(await calls()).toBe(before + 2);
    const r = await recordsOf(request.requestId, 'translate');
    expect(Object.keys(r).sort()).toEqual(['summarize', 'translate']);
  });

  it('a tenant whose policy is off gets the same prompt dispatched whole', async () => {
    const before = await calls();
    const request = f.makeRequest({ tenantId: 'tenant_opt_off', content: prompt('tenant off') });
    const result = await f.run(request);
    expect(result.status).toBe('succeeded');
    expect(await calls()).toBe(before + 1);
    expect(await f.stepsQueue.getJob(assembleJobId(request.requestId))).toBeUndefined();
  });
});

describe('a step’s model does not depend on how the request around it was routed', () => {
  it('AUTOPILOT: requests whose messages route to different models still share every step', async () => {
    const input = doc('autopilot');
    // Prepare routes the first to gpt-4o-mini (it looks like code: nano is below the floor)
    // and the second to gpt-4.1-nano; the steps are the same.
    const looksLikeCode = f.makeRequest({
      tenantId: 'tenant_autopilot',
      steps: steps(input),
      content: 'Write a python function for these steps',
    });
    const plain = f.makeRequest({
      tenantId: 'tenant_autopilot',
      steps: steps(input),
      content: 'Please run these steps',
    });
    const first = await f.run(looksLikeCode);
    expect(first.status).toBe('succeeded');
    const before = await calls();
    const second = await f.run(plain);
    expect(await calls()).toBe(before); // nothing recomputed
    expect(second).toMatchObject({ status: 'succeeded', cacheTier: 'intermediate', costUsd: 0 });
    expect(second.output).toEqual(first.output);
  });
});

describe('step calls go through dispatch’s rate limits, breakers and fallback chains', () => {
  it('under a spent rpm budget the steps wait in the queue (no attempt used) and succeed', async () => {
    // Spend the model's whole minute of requests, as other workers would have.
    const limiter = createRedisRateLimiter(redis, { prefix: f.queuePrefix });
    const spent = await limiter.tryAcquire(
      { provider: 'openai', model: RATE_LIMITED_MODEL },
      { requests: RATE_LIMIT_RPM, tokens: 0 },
      { rpm: RATE_LIMIT_RPM, tpm: Infinity },
    );
    expect(spent.ok).toBe(true);
    const waitsBefore = await counted(f.metrics.rateLimitWaits, { model: RATE_LIMITED_MODEL });
    const before = await calls();

    const request = f.makeRequest({ steps: steps(doc('rate limit'), RATE_LIMITED_MODEL) });
    const result = await f.run(request);
    expect(result).toMatchObject({ status: 'succeeded', model: RATE_LIMITED_MODEL, attempts: 3 });
    expect(await calls()).toBe(before + 3);
    expect(await counted(f.metrics.rateLimitWaits, { model: RATE_LIMITED_MODEL })).toBeGreaterThan(
      waitsBefore,
    );
    const first = await f.stepsQueue.getJob(stepJobId(request.requestId, 'summarize'));
    expect(first?.attemptsMade).toBe(1); // the waits were delays, not failed attempts
  });

  const openBreaker = async (model: string) => {
    for (let i = 0; i < BREAKER_TRIP_FAILURES; i++)
      await f.breakers.record('openai', model, 'failure');
    expect((await f.breakers.get('openai', model)).status).toBe('open');
  };

  it('an open breaker on the step’s model falls back along its chain', async () => {
    await openBreaker('gpt-4o');
    const fallbacksBefore = await counted(f.metrics.fallbacks, { from: 'gpt-4o' });
    const request = f.makeRequest({ steps: steps(doc('fallback'), 'gpt-4o') });
    const result = await f.run(request);
    expect(result).toMatchObject({ status: 'succeeded', model: 'gpt-4o-mini' });
    const r = await recordsOf(request.requestId, 'extract');
    expect(Object.values(r).map((s) => s.model)).toEqual([
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o-mini',
    ]);
    expect(await counted(f.metrics.fallbacks, { from: 'gpt-4o', to: 'gpt-4o-mini' })).toBe(
      fallbacksBefore + 3,
    );
  });

  it('an open breaker with no fallback, open past the deadline, fails with unavailable', async () => {
    await openBreaker('gpt-4.1');
    const before = await calls();
    const request = f.makeRequest({
      steps: steps(doc('no fallback'), 'gpt-4.1'),
      deadlineAt: new Date(Date.now() + 60_000).toISOString(),
    });
    const result = await f.run(request);
    expect(result).toMatchObject({
      status: 'failed',
      provider: 'none',
      error: { code: 'unavailable', retryable: true },
    });
    expect(result.error?.message).toMatch(/^Step "summarize" failed: .*circuit open/);
    expect(await calls()).toBe(before);
  });
});
