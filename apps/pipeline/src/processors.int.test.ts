import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS, type RequestMessage, type ResultMessage } from '@asahi/contracts';
import {
  setupPipelineFixture,
  SIM_RETRY_AFTER_MS,
  type PipelineFixture,
} from './processors.fixture';

/**
 * prepare.processor and dispatch.processor on real Redis and Kafka, provider = the simulator
 * (see processors.fixture.ts for the wiring, which follows main.ts).
 */
let f: PipelineFixture;
let ns: string;

beforeAll(async () => {
  f = await setupPipelineFixture();
  ns = f.ns;
});

afterAll(async () => {
  await f?.close();
});

/** Runs one request through the pools and checks the result record's Kafka key and headers. */
async function run(request: RequestMessage): Promise<ResultMessage> {
  const found = await f.run(request);
  expect(found.key).toBe(request.requestId);
  expect(found.headers[HEADERS.tenantId]).toBe(request.tenantId);
  return found.value;
}

describe('prepare → dispatch on real Redis and Kafka, provider = simulator', () => {
  it('a miss is dispatched to the provider and ends succeeded, with usage and a cost', async () => {
    const before = await f.simStats();
    const request = f.makeRequest({ question: `Miss: what is the capital of Japan? (${ns})` });
    const result = await run(request);

    expect(result).toMatchObject({
      requestId: request.requestId,
      tenantId: 'tenant_a',
      status: 'succeeded',
      provider: 'openai',
      model: 'gpt-4o-mini',
      cacheTier: 'none',
      attempts: 1,
      output: { content: expect.any(String), finishReason: expect.any(String) },
    });
    expect(result.callback).toBeUndefined();
    expect(result.error).toBeUndefined();
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.baselineCostUsd).toBe(result.costUsd);
    expect(result.timings).toMatchObject({
      prepare: expect.any(Number),
      dispatch: expect.any(Number),
    });
    expect((await f.simStats()).chatCompletions).toBe(before.chatCompletions + 1);

    expect((await f.completedDispatch(request.requestId)).returnvalue).toEqual({
      status: 'succeeded',
    });

    const events = await f.auditFor(request.requestId, ['provider.call', 'request.completed']);
    expect(events.find((e) => e.type === 'provider.call')).toMatchObject({
      eventId: `${request.requestId}.provider.call`,
      tenantId: 'tenant_a',
      data: {
        model: 'gpt-4o-mini',
        attempts: 1,
        status: 'succeeded',
        promptTokens: result.usage.promptTokens,
        completionTokens: result.usage.completionTokens,
      },
    });
    expect(events.find((e) => e.type === 'request.completed')?.data).toMatchObject({
      status: 'succeeded',
      costUsd: result.costUsd,
      cacheTier: 'none',
    });
    expect(f.resultsFor(request.requestId)).toHaveLength(1);
  });

  it('the same body again for the same tenant is an exact hit in prepare: cost 0, no provider call', async () => {
    const question = `Hit: what is the capital of France? (${ns})`;
    const first = await run(f.makeRequest({ question }));
    expect(first.cacheTier).toBe('none');
    const calls = (await f.simStats()).chatCompletions;

    const again = f.makeRequest({ question });
    const hit = await run(again);
    expect(hit).toMatchObject({
      requestId: again.requestId,
      status: 'succeeded',
      cacheTier: 'exact',
      costUsd: 0,
      baselineCostUsd: first.costUsd,
      attempts: 0,
      model: first.model,
      provider: first.provider,
      output: first.output,
      usage: first.usage,
    });
    expect((await f.simStats()).chatCompletions).toBe(calls);
    // Answered in prepare: nothing was ever handed to dispatch.
    expect(await f.dispatchQueue.getJob(again.requestId)).toBeUndefined();

    const events = await f.auditFor(again.requestId, ['cache.hit', 'request.completed']);
    expect(events.find((e) => e.type === 'cache.hit')).toMatchObject({
      eventId: `${again.requestId}.cache.hit`,
      data: { tier: 'exact' },
    });
    expect(events.find((e) => e.type === 'request.completed')?.data).toMatchObject({
      status: 'succeeded',
      costUsd: 0,
      baselineCostUsd: first.costUsd,
      cacheTier: 'exact',
    });
    expect(events.some((e) => e.type === 'provider.call')).toBe(false);
  });

  it('the same body for a different tenant is not a hit', async () => {
    const question = `Tenants: what is the capital of Italy? (${ns})`;
    const forA = await run(f.makeRequest({ tenantId: 'tenant_a', question }));
    expect(forA.cacheTier).toBe('none');
    const calls = (await f.simStats()).chatCompletions;

    const forB = await run(f.makeRequest({ tenantId: 'tenant_b', question }));
    expect(forB).toMatchObject({ tenantId: 'tenant_b', status: 'succeeded', cacheTier: 'none' });
    expect(forB.costUsd).toBeGreaterThan(0);
    expect((await f.simStats()).chatCompletions).toBe(calls + 1);
  });

  it('two injected 500s are retried by the queue to success on the third attempt', async () => {
    const before = await f.simStats();
    await f.injectFaults(['500', '500']);
    const request = f.makeRequest({ question: `Retry: what is the capital of Spain? (${ns})` });
    const started = Date.now();
    const result = await run(request);

    expect(result).toMatchObject({ status: 'succeeded', attempts: 3, cacheTier: 'none' });
    expect(result.costUsd).toBeGreaterThan(0);
    // Backoff base 250 ms with full jitter: two retries wait < 250 + 500 ms in total.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(f.retried.filter((r) => r.jobId === request.requestId).map((r) => r.code)).toEqual([
      'provider_error',
      'provider_error',
    ]);
    const after = await f.simStats();
    expect(after.chatCompletions).toBe(before.chatCompletions + 3);
    expect(after.faultsInjected['500']).toBe(before.faultsInjected['500'] + 2);

    const events = await f.auditFor(request.requestId, ['provider.call', 'request.completed']);
    expect(events.find((e) => e.type === 'provider.call')?.data).toMatchObject({
      attempts: 3,
      status: 'succeeded',
    });
    expect(f.resultsFor(request.requestId)).toHaveLength(1);
  });

  it('a 429 is retried no sooner than the provider’s retry-after', async () => {
    const before = await f.simStats();
    await f.injectFaults(['429']);
    const request = f.makeRequest({ question: `Rate limited (${ns})` });
    const started = Date.now();
    const result = await run(request);
    expect(result).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(f.retried.filter((r) => r.jobId === request.requestId)).toEqual([
      {
        jobId: request.requestId,
        code: 'provider_rate_limited',
        retryAfterMs: SIM_RETRY_AFTER_MS,
        delay: expect.any(Number),
      },
    ]);
    // Full jitter on a 250 ms base alone would retry within 250 ms.
    expect(f.retried.find((r) => r.jobId === request.requestId)!.delay).toBeGreaterThanOrEqual(
      SIM_RETRY_AFTER_MS,
    );
    // The dispatch wait of the attempt that succeeded includes the backoff.
    expect(result.timings['asahi-dispatch.wait']).toBeGreaterThanOrEqual(SIM_RETRY_AFTER_MS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SIM_RETRY_AFTER_MS);
    const after = await f.simStats();
    expect(after.faultsInjected['429']).toBe(before.faultsInjected['429'] + 1);
    expect(after.chatCompletions).toBe(before.chatCompletions + 2);
  });

  it('retryable failures on every attempt end in one failed result after the last attempt', async () => {
    const before = await f.simStats();
    await f.injectFaults(['503', '503', '503', '503', '503']);
    const request = f.makeRequest({ question: `Exhausted (${ns})` });
    const result = await run(request);

    expect(result).toMatchObject({
      status: 'failed',
      attempts: 5,
      provider: 'openai',
      error: { code: 'provider_error', retryable: true },
    });
    expect((await f.simStats()).chatCompletions).toBe(before.chatCompletions + 5);
    const job = await f.completedDispatch(request.requestId);
    expect(job.returnvalue).toEqual({ status: 'failed' });
    // The final-failure safety net must not add a second terminal result.
    await new Promise((r) => setTimeout(r, 500));
    expect(f.resultsFor(request.requestId)).toHaveLength(1);
  });

  it('an unknown model (provider 404) fails at once with invalid_request, without retries', async () => {
    const before = await f.simStats();
    const request = f.makeRequest({ model: 'gpt-9', question: `Unknown model (${ns})` });
    const result = await run(request);

    expect(result).toMatchObject({
      status: 'failed',
      model: 'gpt-9',
      attempts: 1,
      cacheTier: 'none',
      costUsd: 0,
      error: { code: 'invalid_request', retryable: false },
    });
    expect(result.output).toBeUndefined();
    expect((await f.simStats()).chatCompletions).toBe(before.chatCompletions + 1);
    const job = await f.completedDispatch(request.requestId);
    expect(job.returnvalue).toEqual({ status: 'failed' });
    expect(job.attemptsMade).toBe(1);

    const events = await f.auditFor(request.requestId, ['provider.call', 'request.completed']);
    expect(events.find((e) => e.type === 'request.completed')?.data).toMatchObject({
      status: 'failed',
      errorCode: 'invalid_request',
    });
    expect(f.resultsFor(request.requestId)).toHaveLength(1);
  });

  it('a request already past its deadline ends expired in prepare, with no provider call', async () => {
    const before = await f.simStats();
    const request = f.makeRequest({
      question: `Expired (${ns})`,
      deadlineAt: new Date(Date.now() - 1_000).toISOString(),
    });
    const result = await run(request);

    expect(result).toMatchObject({
      status: 'expired',
      provider: 'none',
      attempts: 0,
      costUsd: 0,
      error: { code: 'deadline_exceeded', retryable: false },
    });
    expect((await f.simStats()).chatCompletions).toBe(before.chatCompletions);
    expect(await f.dispatchQueue.getJob(request.requestId)).toBeUndefined();
    const events = await f.auditFor(request.requestId, ['request.completed']);
    expect(events.map((e) => e.type)).toEqual(['request.completed']);
  });
});
