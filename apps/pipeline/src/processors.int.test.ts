import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditEventSchema,
  fixtures,
  HEADERS,
  namesFor,
  QUEUES,
  requestMessageSchema,
  resultMessageSchema,
  type AuditEvent,
  type DispatchJob,
  type PrepareJob,
  type RequestMessage,
  type ResultMessage,
} from '@asahi/contracts';
import {
  createJsonProducer,
  createKafka,
  ensureTopics,
  type JsonProducer,
  type Kafka as AppKafka,
} from '@asahi/kafka';
import { isAppError } from '@asahi/errors';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createLogger } from '@asahi/logger';
import { createLlmMetrics, createRegistry } from '@asahi/metrics';
import { createOpenAiChatProvider } from '@asahi/provider-openai';
import {
  buildSimulator,
  loadConfig as loadSimConfig,
  type SimStatsSnapshot,
} from '@asahi/provider-sim';
import {
  createQueue,
  createRedisConnection,
  enqueueBulk,
  type Queue,
  type Redis,
  type Worker,
} from '@asahi/queue';
import { createRedisExactCache } from './adapters/redis-exact-cache';
import { startDispatchWorker } from './dispatch.processor';
import { publishOnFinalFailure } from './final-failure';
import { startPrepareWorker } from './prepare.processor';
import { createResultPublisher } from './result-publisher';

/**
 * The prepare and dispatch pools wired as main.ts wires them, on real Redis and Kafka under a
 * namespace of their own. The only simulated party is the LLM provider: the real simulator,
 * in-process, called through the real openai SDK adapter.
 */
const ns = `it${randomBytes(4).toString('hex')}`;
const names = namesFor(ns);
const readerGroup = `${ns}-it-reader`;
const logger = createLogger({ service: 'pipeline-it', level: 'silent' });

interface Received<T> {
  key: string | null;
  headers: Record<string, string>;
  value: T;
}

let sim: ReturnType<typeof buildSimulator>;
let simUrl: string;
let kafka: AppKafka;
let rawKafka: Kafka;
let reader: Consumer;
let producer: JsonProducer;
let redis: Redis;
const workerConnections: Redis[] = [];
let prepareQueue: Queue<PrepareJob>;
let dispatchQueue: Queue<DispatchJob>;
const workers: Worker[] = [];
const results: Received<ResultMessage>[] = [];
const audits: Received<AuditEvent>[] = [];
/** Dispatch attempts that threw (to be retried), as the worker reports them. */
const retried: { jobId: string; code: string; retryAfterMs?: number; delay: number }[] = [];
let seq = 0;

beforeAll(async () => {
  const infra = readInfraEndpoints();
  if (!infra)
    throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up` first');
  const brokers = infra.kafkaBrokers.split(',');

  // Injected 429s ask for 800 ms: far longer than the dispatch backoff would wait on its own.
  sim = buildSimulator(loadSimConfig({ LOG_LEVEL: 'silent', SIM_FAULT_RETRY_AFTER_MS: '800' }));
  await sim.listen({ host: '127.0.0.1', port: 0 });
  simUrl = `http://127.0.0.1:${(sim.server.address() as { port: number }).port}`;

  // As main.ts: topics, one producer, the result publisher, queues on a shared connection,
  // each worker on its own connection, the cache on the shared one.
  kafka = createKafka({ brokers, clientId: `${ns}-pipeline`, logger });
  await ensureTopics(kafka, Object.values(names.topics));
  producer = await createJsonProducer(kafka);
  const metrics = createLlmMetrics(createRegistry('test'));
  const publisher = createResultPublisher(producer, names, metrics);
  redis = createRedisConnection(infra.redisUrl, 'pipeline');
  prepareQueue = createQueue<PrepareJob>(QUEUES.prepare, {
    connection: redis,
    prefix: names.queuePrefix,
  });
  dispatchQueue = createQueue<DispatchJob>(QUEUES.dispatch, {
    connection: redis,
    prefix: names.queuePrefix,
  });
  const cache = createRedisExactCache(redis, names.queuePrefix);
  const clock = { now: () => Date.now() };
  const provider = createOpenAiChatProvider({ apiKey: 'sk-asahi-it', baseURL: `${simUrl}/v1` });

  const connection = (name: string) => {
    const c = createRedisConnection(infra.redisUrl, name);
    workerConnections.push(c);
    return c;
  };
  const prepare = startPrepareWorker({
    connection: connection('pipeline-prepare'),
    prefix: names.queuePrefix,
    logger,
    metrics,
    ports: { cache, clock },
    dispatchQueue,
    publisher,
  });
  publishOnFinalFailure(prepare, publisher, logger);
  const dispatch = startDispatchWorker({
    connection: connection('pipeline-dispatch'),
    prefix: names.queuePrefix,
    logger,
    metrics,
    ports: { provider, cache, clock },
    publisher,
    timeoutMs: 30_000,
  });
  publishOnFinalFailure(dispatch, publisher, logger);
  dispatch.on('failed', (job, err) => {
    if (!job?.id) return;
    const error = isAppError(err) ? err : undefined;
    retried.push({
      jobId: job.id,
      code: error?.code ?? err.name,
      retryAfterMs: error?.retryAfterMs,
      delay: job.delay,
    });
  });
  workers.push(prepare, dispatch);

  // The observer: a plain kafkajs consumer on the namespaced results and audit topics.
  rawKafka = new Kafka({ clientId: `${ns}-reader`, brokers, logLevel: logLevel.NOTHING });
  reader = rawKafka.consumer({ groupId: readerGroup });
  await reader.connect();
  await reader.subscribe({
    topics: [names.topics.results, names.topics.audit],
    fromBeginning: true,
  });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      const key = message.key?.toString() ?? null;
      const json: unknown = JSON.parse(message.value?.toString() ?? 'null');
      if (topic === names.topics.results)
        results.push({ key, headers, value: resultMessageSchema.parse(json) });
      else audits.push({ key, headers, value: auditEventSchema.parse(json) });
    },
  });
});

afterAll(async () => {
  await reader?.disconnect();
  await Promise.all(workers.map((w) => w.close()));
  for (const queue of [prepareQueue, dispatchQueue]) {
    if (!queue) continue;
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await producer?.disconnect();
  await sim?.close();
  if (redis) {
    await deleteKeys(redis, `${names.queuePrefix}:cache:exact:*`);
    await redis.quit();
  }
  await Promise.all(workerConnections.map((c) => c.quit().catch(() => undefined)));
  if (rawKafka) {
    const admin = rawKafka.admin();
    await admin.connect();
    await admin.deleteGroups([readerGroup]).catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(names.topics), timeout: 10_000 });
    await admin.disconnect();
  }
});

async function deleteKeys(client: Redis, pattern: string) {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A request like the fixture, with a unique id, a future deadline and no callback. */
function makeRequest(
  opts: { tenantId?: string; question?: string; model?: string; deadlineAt?: string } = {},
): RequestMessage {
  const { callback: _callback, ...base } = fixtures.request() as RequestMessage;
  const now = Date.now();
  return requestMessageSchema.parse({
    ...base,
    requestId: `req_${ns}_${++seq}`,
    tenantId: opts.tenantId ?? 'tenant_a',
    acceptedAt: new Date(now).toISOString(),
    deadlineAt: opts.deadlineAt ?? new Date(now + 10 * 60_000).toISOString(),
    body: {
      ...base.body,
      model: opts.model ?? base.body.model,
      messages: [
        base.body.messages[0],
        { role: 'user', content: opts.question ?? `What is the capital of Japan? (${ns})` },
      ],
    },
  });
}

/** What intake does: one prepare job per request, job id = request id. Waits for the result. */
async function run(request: RequestMessage): Promise<ResultMessage> {
  await enqueueBulk(prepareQueue, [
    { jobId: request.requestId, data: { request, enqueuedAt: Date.now() } },
  ]);
  const found = await waitFor(`result of ${request.requestId}`, () =>
    results.find((r) => r.value.requestId === request.requestId),
  );
  expect(found.key).toBe(request.requestId);
  expect(found.headers[HEADERS.tenantId]).toBe(request.tenantId);
  return found.value;
}

/** Results are published inside the attempt; BullMQ marks the job completed just after. */
async function completedDispatch(requestId: string) {
  return waitFor(`dispatch job ${requestId} completed`, async () => {
    // State first: the job read after it has the fields of the finished attempt.
    if ((await dispatchQueue.getJobState(requestId)) !== 'completed') return undefined;
    return dispatchQueue.getJob(requestId);
  });
}

const resultsFor = (requestId: string) => results.filter((r) => r.value.requestId === requestId);

async function auditFor(requestId: string, types: AuditEvent['type'][]) {
  return waitFor(`audit ${types.join(',')} of ${requestId}`, () => {
    const mine = audits.filter((a) => a.value.requestId === requestId).map((a) => a.value);
    return types.every((t) => mine.some((e) => e.type === t)) ? mine : undefined;
  });
}

async function simStats(): Promise<SimStatsSnapshot> {
  const res = await fetch(`${simUrl}/sim/stats`);
  expect(res.status).toBe(200);
  return (await res.json()) as SimStatsSnapshot;
}

async function injectFaults(next: string[]) {
  const res = await fetch(`${simUrl}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ next, endpoints: ['chat'] }),
  });
  expect(res.status).toBe(200);
}

describe('prepare → dispatch on real Redis and Kafka, provider = simulator', () => {
  it('a miss is dispatched to the provider and ends succeeded, with usage and a cost', async () => {
    const before = await simStats();
    const request = makeRequest({ question: `Miss: what is the capital of Japan? (${ns})` });
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
    expect((await simStats()).chatCompletions).toBe(before.chatCompletions + 1);

    expect((await completedDispatch(request.requestId)).returnvalue).toEqual({
      status: 'succeeded',
    });

    const events = await auditFor(request.requestId, ['provider.call', 'request.completed']);
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
    expect(resultsFor(request.requestId)).toHaveLength(1);
  });

  it('the same body again for the same tenant is an exact hit in prepare: cost 0, no provider call', async () => {
    const question = `Hit: what is the capital of France? (${ns})`;
    const first = await run(makeRequest({ question }));
    expect(first.cacheTier).toBe('none');
    const calls = (await simStats()).chatCompletions;

    const again = makeRequest({ question });
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
    expect((await simStats()).chatCompletions).toBe(calls);
    // Answered in prepare: nothing was ever handed to dispatch.
    expect(await dispatchQueue.getJob(again.requestId)).toBeUndefined();

    const events = await auditFor(again.requestId, ['cache.hit', 'request.completed']);
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
    const forA = await run(makeRequest({ tenantId: 'tenant_a', question }));
    expect(forA.cacheTier).toBe('none');
    const calls = (await simStats()).chatCompletions;

    const forB = await run(makeRequest({ tenantId: 'tenant_b', question }));
    expect(forB).toMatchObject({ tenantId: 'tenant_b', status: 'succeeded', cacheTier: 'none' });
    expect(forB.costUsd).toBeGreaterThan(0);
    expect((await simStats()).chatCompletions).toBe(calls + 1);
  });

  it('two injected 500s are retried by the queue to success on the third attempt', async () => {
    const before = await simStats();
    await injectFaults(['500', '500']);
    const request = makeRequest({ question: `Retry: what is the capital of Spain? (${ns})` });
    const started = Date.now();
    const result = await run(request);

    expect(result).toMatchObject({ status: 'succeeded', attempts: 3, cacheTier: 'none' });
    expect(result.costUsd).toBeGreaterThan(0);
    // Backoff base 250 ms with full jitter: two retries wait < 250 + 500 ms in total.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(retried.filter((r) => r.jobId === request.requestId).map((r) => r.code)).toEqual([
      'provider_error',
      'provider_error',
    ]);
    const after = await simStats();
    expect(after.chatCompletions).toBe(before.chatCompletions + 3);
    expect(after.faultsInjected['500']).toBe(before.faultsInjected['500'] + 2);

    const events = await auditFor(request.requestId, ['provider.call', 'request.completed']);
    expect(events.find((e) => e.type === 'provider.call')?.data).toMatchObject({
      attempts: 3,
      status: 'succeeded',
    });
    expect(resultsFor(request.requestId)).toHaveLength(1);
  });

  it('a 429 is retried no sooner than the provider’s retry-after', async () => {
    await injectFaults(['429']);
    const request = makeRequest({ question: `Rate limited (${ns})` });
    const started = Date.now();
    const result = await run(request);
    expect(result).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(retried.filter((r) => r.jobId === request.requestId)).toEqual([
      {
        jobId: request.requestId,
        code: 'provider_rate_limited',
        retryAfterMs: 800,
        delay: expect.any(Number),
      },
    ]);
    // Full jitter on a 250 ms base alone would retry within 250 ms.
    expect(retried.find((r) => r.jobId === request.requestId)!.delay).toBeGreaterThanOrEqual(800);
    // The dispatch wait of the attempt that succeeded includes the backoff.
    expect(result.timings['asahi-dispatch.wait']).toBeGreaterThanOrEqual(800);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });

  it('retryable failures on every attempt end in one failed result after the last attempt', async () => {
    const before = await simStats();
    await injectFaults(['503', '503', '503', '503', '503']);
    const request = makeRequest({ question: `Exhausted (${ns})` });
    const result = await run(request);

    expect(result).toMatchObject({
      status: 'failed',
      attempts: 5,
      provider: 'openai',
      error: { code: 'provider_error', retryable: true },
    });
    expect((await simStats()).chatCompletions).toBe(before.chatCompletions + 5);
    const job = await completedDispatch(request.requestId);
    expect(job.returnvalue).toEqual({ status: 'failed' });
    // The final-failure safety net must not add a second terminal result.
    await new Promise((r) => setTimeout(r, 500));
    expect(resultsFor(request.requestId)).toHaveLength(1);
  });

  it('an unknown model (provider 404) fails at once with invalid_request, without retries', async () => {
    const before = await simStats();
    const request = makeRequest({ model: 'gpt-9', question: `Unknown model (${ns})` });
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
    expect((await simStats()).chatCompletions).toBe(before.chatCompletions + 1);
    const job = await completedDispatch(request.requestId);
    expect(job.returnvalue).toEqual({ status: 'failed' });
    expect(job.attemptsMade).toBe(1);

    const events = await auditFor(request.requestId, ['provider.call', 'request.completed']);
    expect(events.find((e) => e.type === 'request.completed')?.data).toMatchObject({
      status: 'failed',
      errorCode: 'invalid_request',
    });
    expect(resultsFor(request.requestId)).toHaveLength(1);
  });

  it('a request already past its deadline ends expired in prepare, with no provider call', async () => {
    const before = await simStats();
    const request = makeRequest({
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
    expect((await simStats()).chatCompletions).toBe(before.chatCompletions);
    expect(await dispatchQueue.getJob(request.requestId)).toBeUndefined();
    const events = await auditFor(request.requestId, ['request.completed']);
    expect(events.map((e) => e.type)).toEqual(['request.completed']);
  });
});
