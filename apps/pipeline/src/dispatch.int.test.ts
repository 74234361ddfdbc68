import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_POLICY, DEFAULT_BREAKER_POLICY } from '@asahi/stages';
import { waitFor } from '@asahi/testing';
import { setupPipelineFixture, type PipelineFixture } from './processors.fixture';

/**
 * Deadline-aware dispatch on real Redis, Kafka and PostgreSQL, against the simulator (through
 * the openai SDK): the Batch API path, late members released to realtime, shared rate limits,
 * breakers and fallback, the dead-letter queue, and pools that stop while holding requests.
 */
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const batchCount = async (f: PipelineFixture) =>
  (await f.database.db.pool.query<{ n: string }>('select count(*) n from dispatch_batches'))
    .rows[0]!.n;

describe('the Batch API path', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await setupPipelineFixture({
      simEnv: { SIM_BATCH_TURNAROUND_MS: '400' },
      dispatch: {
        batchPolicy: {
          ...DEFAULT_BATCH_POLICY,
          expectedBatchTurnaroundMs: 2_000,
          marginMs: 500,
          minBatchApiSize: 4,
          batchApiMaxWaitMs: 1_500,
          realtimeAllowanceMs: 1_000,
        },
        pollMs: 200,
      },
    });
  });
  afterAll(() => f?.close());

  it('groups requests with slack into one Batch API job, billed at half the realtime price', async () => {
    const requests = Array.from({ length: 4 }, (_, i) =>
      f.makeRequest({ question: `batch question ${i}`, deadlineAt: inSeconds(120) }),
    );
    const results = await Promise.all(requests.map((r) => f.run(r)));
    const batchIds = new Set(results.map((r) => r.value.dispatch?.batchId));
    expect(batchIds.size).toBe(1);
    for (const { value } of results) {
      expect(value.status).toBe('succeeded');
      expect(value.dispatch?.execution).toBe('batch-api');
      expect(value.savings?.batch).toBeCloseTo(value.costUsd, 10); // half price: saving = billed
      expect(value.costUsd).toBeGreaterThan(0);
    }
    const stats = await f.simStats();
    expect(stats.batches.batches).toBe(1);
    expect(await batchCount(f)).toBe('1');
    // Exactly one result each, nothing from the realtime path.
    for (const r of requests) expect(f.resultsFor(r.requestId)).toHaveLength(1);
  });

  it('a batch item that fails retryably waits for the next batch, still at batch price', async () => {
    const before = (await f.simStats()).batches.batches;
    const res = await fetch(`${f.simUrl}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ next: ['500'], endpoints: ['batches'] }),
    });
    expect(res.status).toBe(200);
    const requests = Array.from({ length: 4 }, (_, i) =>
      f.makeRequest({ question: `retried item ${i}`, deadlineAt: inSeconds(120) }),
    );
    const results = await Promise.all(requests.map((r) => f.run(r)));
    for (const { value } of results) {
      expect(value.status).toBe('succeeded');
      expect(value.dispatch?.execution).toBe('batch-api');
      expect(value.savings?.batch).toBeGreaterThan(0);
    }
    expect(new Set(results.map((r) => r.value.dispatch?.batchId)).size).toBe(2);
    const stats = await f.simStats();
    expect(stats.batches.batches - before).toBe(2);
    expect(stats.chatCompletions).toBe(0); // nothing went realtime
    for (const r of requests) expect(f.resultsFor(r.requestId)).toHaveLength(1);
  });

  it('sends a request whose deadline leaves no room for a batch realtime at once', async () => {
    const { value } = await f.run(f.makeRequest({ question: 'tight', deadlineAt: inSeconds(2) }));
    expect(value.status).toBe('succeeded');
    expect(value.dispatch?.execution).toBe('realtime');
    expect(value.savings?.batch ?? 0).toBe(0);
  });

  it('a lone request waits at most the maximum wait, then goes in a batch of one', async () => {
    const { value } = await f.run(f.makeRequest({ question: 'alone', deadlineAt: inSeconds(120) }));
    expect(value.dispatch?.execution).toBe('batch-api');
  });
});

describe('a Batch API job running late', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await setupPipelineFixture({
      // The provider takes a minute; the planner expected 1.5 s.
      simEnv: { SIM_BATCH_TURNAROUND_MS: '60000' },
      dispatch: {
        batchPolicy: {
          ...DEFAULT_BATCH_POLICY,
          expectedBatchTurnaroundMs: 1_500,
          marginMs: 500,
          minBatchApiSize: 3,
          batchApiMaxWaitMs: 500,
          realtimeAllowanceMs: 2_000,
        },
        pollMs: 200,
      },
    });
  });
  afterAll(() => f?.close());

  it('releases its members to realtime before their deadline, answered and billed once', async () => {
    const requests = Array.from({ length: 3 }, (_, i) =>
      f.makeRequest({ question: `late ${i}`, deadlineAt: inSeconds(8) }),
    );
    const results = await Promise.all(requests.map((r) => f.run(r)));
    for (const { value } of results) {
      expect(value.status).toBe('succeeded');
      expect(value.dispatch?.execution).toBe('realtime');
      expect(value.dispatch?.releasedFromBatch).toBe('late');
      expect(value.dispatch?.batchId).toMatch(/^bat_/);
      expect(Date.parse(value.completedAt)).toBeLessThanOrEqual(Date.parse(value.deadlineAt));
    }
    // Everyone left, so the provider batch is cancelled: no line of it is billed.
    await waitFor('batch cancelled', async () => {
      const res = await fetch(`${f.simUrl}/v1/batches`, {
        headers: { authorization: 'Bearer sk-asahi-it' },
      });
      const list = (await res.json()) as { data: { status: string }[] };
      return ['cancelling', 'cancelled'].includes(list.data[0]?.status ?? '') ? list : undefined;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await f.simStats()).batches.succeeded).toBe(0);
    for (const r of requests) expect(f.resultsFor(r.requestId)).toHaveLength(1);
  });
});

describe('realtime dispatch inside limits, breakers and fallbacks', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await setupPipelineFixture({
      dispatch: {
        // 20 requests a minute for gpt-4o-mini: a burst of 20, then one every 3 s.
        limitsFor: (model) =>
          model === 'gpt-4o-mini' ? { rpm: 20, tpm: Infinity } : { rpm: Infinity, tpm: Infinity },
        fallbackChains: { 'gpt-4.1-mini': ['gpt-4.1-nano'] },
        batchApi: false,
      },
      breakerPolicy: {
        ...DEFAULT_BREAKER_POLICY,
        consecutiveFailureThreshold: 2,
        openDurationMs: 1_500,
      },
    });
  });
  afterAll(() => f?.close());

  it('waits in the queue for the shared rate limit instead of failing or over-calling', async () => {
    const requests = Array.from({ length: 22 }, (_, i) =>
      f.makeRequest({ question: `limited ${i}`, deadlineAt: inSeconds(60) }),
    );
    const results = await Promise.all(requests.map((r) => f.run(r)));
    expect(results.every((r) => r.value.status === 'succeeded')).toBe(true);
    const waited = results.filter((r) => (r.value.dispatch?.rateLimitWaitMs ?? 0) > 0);
    expect(waited.length).toBeGreaterThanOrEqual(2);
    const waits = await f.metrics.rateLimitWaits.get();
    expect(waits.values.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(0);
  });

  it('breaker transitions: closed → open after failures → half-open probe → closed', async () => {
    const b = f.breakers;
    expect((await b.get('openai', 'gpt-4.1-mini')).status).toBe('closed');
    await b.record('openai', 'gpt-4.1-mini', 'failure');
    expect((await b.get('openai', 'gpt-4.1-mini')).status).toBe('closed');
    await b.record('openai', 'gpt-4.1-mini', 'timeout');
    expect((await b.get('openai', 'gpt-4.1-mini')).status).toBe('open');
    expect((await b.acquire('openai', 'gpt-4.1-mini')).ok).toBe(false);

    // Open: the request is answered by the fallback model, with the reason on the result.
    const viaFallback = await f.run(f.makeRequest({ model: 'gpt-4.1-mini', question: 'fb 1' }));
    expect(viaFallback.value.status).toBe('succeeded');
    expect(viaFallback.value.model).toBe('gpt-4.1-nano');
    expect(viaFallback.value.dispatch?.fallback).toEqual({
      from: 'gpt-4.1-mini',
      to: 'gpt-4.1-nano',
      reason: 'circuit-open',
    });

    // After the open period, the next call is the probe; its success closes the breaker.
    await new Promise((r) => setTimeout(r, 1_600));
    const probe = await f.run(f.makeRequest({ model: 'gpt-4.1-mini', question: 'fb 2' }));
    expect(probe.value.model).toBe('gpt-4.1-mini');
    expect(probe.value.dispatch?.fallback).toBeUndefined();
    expect((await b.get('openai', 'gpt-4.1-mini')).status).toBe('closed');
  });

  it('a failing probe re-opens the breaker', async () => {
    const b = f.breakers;
    await b.record('openai', 'gpt-4.1-nano', 'failure');
    await b.record('openai', 'gpt-4.1-nano', 'failure');
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await b.acquire('openai', 'gpt-4.1-nano')).ok).toBe(true);
    expect((await b.get('openai', 'gpt-4.1-nano')).status).toBe('half-open');
    expect((await b.acquire('openai', 'gpt-4.1-nano')).ok).toBe(false); // one probe at a time
    await b.record('openai', 'gpt-4.1-nano', 'failure');
    expect((await b.get('openai', 'gpt-4.1-nano')).status).toBe('open');
  });

  it('every breaker in the chain open past the deadline: a terminal, actionable error', async () => {
    const b = f.breakers;
    for (const m of ['gpt-4o', 'gpt-4o']) await b.record('openai', m, 'failure');
    const { value } = await f.run(
      f.makeRequest({ model: 'gpt-4o', question: 'all open', deadlineAt: inSeconds(1) }),
    );
    expect(value.status).toBe('failed');
    expect(value.error).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('a provider failing every attempt: one failed result, and the job in the dead-letter queue', async () => {
    await f.injectFaults(Array.from({ length: 5 }, () => '500'));
    // gpt-4.1 has no breaker trouble of its own here and no fallback: five 500s use every attempt.
    const request = f.makeRequest({ question: 'always failing', model: 'gpt-4.1' });
    const { value } = await f.run(request);
    expect(value.status).toBe('failed');
    expect(value.error?.code).toBe('provider_error');
    const dead = await waitFor(
      'dead letter',
      async () => (await f.deadQueue.getJob(`${request.requestId}.dead`)) ?? undefined,
    );
    expect(dead.data).toMatchObject({ jobId: request.requestId, attemptsMade: 5 });
    // Two failures in a row opened gpt-4.1's breaker on the way; later attempts were its probes.
    expect(['open', 'half-open']).toContain((await f.breakers.get('openai', 'gpt-4.1')).status);
  });
});

describe('pools that stop while holding requests', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await setupPipelineFixture({
      simEnv: { SIM_BATCH_TURNAROUND_MS: '1500' },
      dispatch: {
        batchPolicy: {
          ...DEFAULT_BATCH_POLICY,
          expectedBatchTurnaroundMs: 2_000,
          marginMs: 500,
          minBatchApiSize: 100,
          batchApiMaxWaitMs: 2_000,
          realtimeAllowanceMs: 1_000,
        },
        pollMs: 300,
      },
    });
  });
  afterAll(() => f?.close());

  it('accumulated requests and an in-flight Batch API job are finished by other workers', async () => {
    const requests = Array.from({ length: 5 }, (_, i) =>
      f.makeRequest({ question: `held ${i}`, deadlineAt: inSeconds(120) }),
    );
    const pending = requests.map((r) => f.run(r));
    // The requests are accumulated (in Redis) and then a batch is submitted; stop the pools
    // while the provider works on it.
    await waitFor('batch submitted', async () => {
      const { rows } = await f.database.db.pool.query<{ status: string }>(
        'select status from dispatch_batches',
      );
      return rows[0]?.status === 'submitted' ? rows : undefined;
    });
    await f.stopPools();
    await f.startMorePools();
    const results = await Promise.all(pending);
    for (const { value } of results) {
      expect(value.status).toBe('succeeded');
      expect(value.dispatch?.execution).toBe('batch-api');
    }
    expect((await f.simStats()).batches.batches).toBe(1); // resumed, not submitted twice
  });
});
