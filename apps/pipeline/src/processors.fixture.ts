import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import {
  auditEventSchema,
  fixtures,
  namesFor,
  QUEUES,
  requestMessageSchema,
  resultMessageSchema,
  type AuditEvent,
  type BatchJob,
  type DispatchJob,
  type Names,
  type PrepareJob,
  type StepJob,
  type RequestMessage,
  type ResultMessage,
} from '@asahi/contracts';
import { isAppError } from '@asahi/errors';
import { createJsonProducer, createKafka, ensureTopics } from '@asahi/kafka';
import { readInfraEndpoints } from '@asahi/local-infra';
import { waitFor } from '@asahi/testing';
import { createLogger } from '@asahi/logger';
import { createLlmMetrics, createRegistry } from '@asahi/metrics';
import { createDispatchBatchRepository, createTestDatabase, type TestDatabase } from '@asahi/db';
import { createOpenAiChatProvider, openAiBatchClientFor } from '@asahi/provider-openai';
import { startSimulator, type SimStatsSnapshot } from '@asahi/provider-sim';
import {
  createQueue,
  createRedisConnection,
  enqueueBulk,
  type Job,
  type Queue,
  type Redis,
} from '@asahi/queue';
import { createRedisBreakers, type RedisBreakers } from './adapters/redis-breaker';
import { createRedisExactCache } from './adapters/redis-exact-cache';
import type { DispatchSettings } from './dispatch-settings';
import { DEFAULT_BATCH_POLICY, type BreakerPolicy } from '@asahi/stages';
import { createResultPublisher } from './result-publisher';
import { startWorkerPools, type WorkerPoolsDeps } from './worker-pools';

/**
 * Integration fixture: the pipeline's pools (prepare and dispatch by default) wired as main.ts
 * wires them, on real Redis
 * and Kafka under a namespace of their own, and a plain kafkajs consumer observing the results
 * and audit topics. The only simulated party is the LLM provider: the real simulator, in-process,
 * called through the real openai SDK adapter. Injected 429s ask for 800 ms (SIM_FAULT_RETRY_AFTER_MS).
 */
export const SIM_RETRY_AFTER_MS = 800;

export interface Received<T> {
  key: string | null;
  headers: Record<string, string>;
  value: T;
}

/** A dispatch attempt that threw (to be retried), as the worker's `failed` event reports it. */
export interface RetriedAttempt {
  jobId: string;
  code: string;
  retryAfterMs?: number;
  /** The backoff BullMQ applied before the next attempt (ms). */
  delay: number;
}

export interface PipelineFixtureOptions {
  /** Pools to run (default prepare and dispatch; add `steps` for flows). */
  pools?: string[];
  /** Tenant policy and model registry for prepare (default: the platform defaults). */
  contextFor?: WorkerPoolsDeps['contextFor'];
  /** What an injected 429 asks for (default SIM_RETRY_AFTER_MS). */
  simRetryAfterMs?: number;
  /** Deadline-aware dispatch settings over the defaults (unlimited, no fallbacks, Batch API on). */
  dispatch?: Partial<DispatchSettings>;
  breakerPolicy?: BreakerPolicy;
  /** Extra simulator settings (SIM_* variables). */
  simEnv?: Record<string, string>;
}

export interface PipelineFixture {
  ns: string;
  names: Names;
  dispatchQueue: Queue<DispatchJob>;
  batchQueue: Queue<BatchJob>;
  deadQueue: Queue<unknown>;
  breakers: RedisBreakers;
  /** The fixture's own migrated PostgreSQL database (Batch API state). */
  database: TestDatabase;
  metrics: ReturnType<typeof createLlmMetrics>;
  simUrl: string;
  /** Starts another set of the same pools (a second pipeline process, as far as queues go). */
  startMorePools(): Promise<{ close(): Promise<void> }>;
  /** Stops the pools without closing anything else (as a crashed process would stop working). */
  stopPools(): Promise<void>;
  /** Present when the `steps` pool runs. */
  stepsQueue?: Queue<StepJob>;
  retried: RetriedAttempt[];
  /** A request like the fixture, with a unique id, a future deadline and no callback. */
  makeRequest(opts?: {
    tenantId?: string;
    question?: string;
    model?: string;
    deadlineAt?: string;
  }): RequestMessage;
  /** What intake does (one prepare job, job id = request id); resolves with the result record. */
  run(request: RequestMessage): Promise<Received<ResultMessage>>;
  resultsFor(requestId: string): Received<ResultMessage>[];
  /** Waits until every given audit type exists for the request; returns all of its events. */
  auditFor(requestId: string, types: AuditEvent['type'][]): Promise<AuditEvent[]>;
  /** Waits for the dispatch job to be completed, then reads it. */
  completedDispatch(requestId: string): Promise<Job<DispatchJob>>;
  simStats(): Promise<SimStatsSnapshot>;
  injectFaults(next: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function setupPipelineFixture(
  options: PipelineFixtureOptions = {},
): Promise<PipelineFixture> {
  const infra = readInfraEndpoints();
  if (!infra)
    throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up` first');
  const brokers = infra.kafkaBrokers.split(',');
  const ns = `it${randomBytes(4).toString('hex')}`;
  const names = namesFor(ns);
  const logger = createLogger({ service: 'pipeline-it', level: 'silent' });

  const sim = await startSimulator({
    SIM_FAULT_RETRY_AFTER_MS: String(options.simRetryAfterMs ?? SIM_RETRY_AFTER_MS),
    ...options.simEnv,
  });
  const database = await createTestDatabase();
  const simUrl = sim.url;

  // As main.ts: topics, one producer, the result publisher, queues on a shared connection,
  // each worker on its own connection, the cache on the shared one.
  const kafka = createKafka({ brokers, clientId: `${ns}-pipeline`, logger });
  await ensureTopics(kafka, Object.values(names.topics));
  const producer = await createJsonProducer(kafka);
  const metrics = createLlmMetrics(createRegistry('test'));
  const publisher = createResultPublisher(producer, names, metrics);
  const redis = createRedisConnection(infra.redisUrl, 'pipeline');
  const queueOptions = { connection: redis, prefix: names.queuePrefix };
  const prepareQueue = createQueue<PrepareJob>(QUEUES.prepare, queueOptions);
  const dispatchQueue = createQueue<DispatchJob>(QUEUES.dispatch, queueOptions);
  const pools = new Set(options.pools ?? ['prepare', 'dispatch']);
  const stepsQueue = pools.has('steps')
    ? createQueue<StepJob>(QUEUES.steps, queueOptions)
    : undefined;
  const batchQueue = createQueue<BatchJob>(QUEUES.batches, queueOptions);
  const deadQueue = createQueue<unknown>(QUEUES.dispatchDead, queueOptions);
  const queues = [
    prepareQueue,
    dispatchQueue,
    batchQueue,
    deadQueue,
    ...(stepsQueue ? [stepsQueue] : []),
  ];
  const cache = createRedisExactCache(redis, {
    prefix: names.queuePrefix,
    maxEntriesPerTenant: 100_000,
    maxEntryBytes: 256 * 1024,
  });
  const clock = { now: () => Date.now() };
  const provider = createOpenAiChatProvider({ apiKey: 'sk-asahi-it', baseURL: `${simUrl}/v1` });
  const workerConnections: Redis[] = [];
  const connection = (name: string) => {
    const c = createRedisConnection(infra.redisUrl, name);
    workerConnections.push(c);
    return c;
  };
  const breakers = createRedisBreakers(redis, {
    prefix: names.queuePrefix,
    ...(options.breakerPolicy ? { policy: options.breakerPolicy } : {}),
  });
  const settings: DispatchSettings = {
    limitsFor: () => ({ rpm: Infinity, tpm: Infinity }),
    fallbackChains: {},
    batchApi: true,
    batchPolicy: DEFAULT_BATCH_POLICY,
    pollMs: 500,
    ...options.dispatch,
  };
  const poolDeps: WorkerPoolsDeps = {
    pools,
    connect: connection,
    prefix: names.queuePrefix,
    logger,
    metrics,
    ports: { cache, clock, provider },
    ...(options.contextFor ? { contextFor: options.contextFor } : {}),
    dispatchQueue,
    batchQueue,
    deadQueue,
    batches: createDispatchBatchRepository(database.db.prisma),
    batchClient: openAiBatchClientFor({ apiKey: 'sk-asahi-it', baseURL: `${simUrl}/v1` }),
    breakers,
    settings,
    redis,
    publisher,
    timeoutMs: 30_000,
  };
  const started = startWorkerPools(poolDeps);
  const extra: { close(): Promise<unknown> }[] = [];
  const retried: RetriedAttempt[] = [];
  started.dispatch?.on('failed', (job, err) => {
    if (!job?.id) return;
    const error = isAppError(err) ? err : undefined;
    retried.push({
      jobId: job.id,
      code: error?.code ?? err.name,
      retryAfterMs: error?.retryAfterMs,
      delay: job.delay,
    });
  });

  // The observer: a plain kafkajs consumer on the namespaced results and audit topics.
  const results: Received<ResultMessage>[] = [];
  const audits: Received<AuditEvent>[] = [];
  const rawKafka = new Kafka({ clientId: `${ns}-reader`, brokers, logLevel: logLevel.NOTHING });
  const readerGroup = `${ns}-it-reader`;
  const reader = rawKafka.consumer({ groupId: readerGroup });
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

  let seq = 0;
  const simCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${simUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}`);
    return res.json() as Promise<unknown>;
  };

  return {
    ns,
    names,
    dispatchQueue,
    batchQueue,
    deadQueue,
    breakers,
    database,
    metrics,
    simUrl,
    async startMorePools() {
      const more = startWorkerPools(poolDeps);
      const handle = {
        close: async () => void (await Promise.all(Object.values(more).map((p) => p.close()))),
      };
      extra.push(handle);
      return handle;
    },
    async stopPools() {
      await Promise.all(Object.values(started).map((p) => p.close()));
    },
    ...(stepsQueue ? { stepsQueue } : {}),
    retried,
    makeRequest(opts = {}) {
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
    },
    async run(request) {
      await enqueueBulk(prepareQueue, [
        { jobId: request.requestId, data: { request, enqueuedAt: Date.now() } },
      ]);
      return waitFor(`result of ${request.requestId}`, () =>
        results.find((r) => r.value.requestId === request.requestId),
      );
    },
    resultsFor: (requestId) => results.filter((r) => r.value.requestId === requestId),
    auditFor: (requestId, types) =>
      waitFor(`audit ${types.join(',')} of ${requestId}`, () => {
        const mine = audits.filter((a) => a.value.requestId === requestId).map((a) => a.value);
        return types.every((t) => mine.some((e) => e.type === t)) ? mine : undefined;
      }),
    // Results are published inside the attempt; BullMQ marks the job completed just after. State
    // first: the job read after it has the fields of the finished attempt.
    completedDispatch: (requestId) =>
      waitFor(`dispatch job ${requestId} completed`, async () =>
        (await dispatchQueue.getJobState(requestId)) === 'completed'
          ? dispatchQueue.getJob(requestId)
          : undefined,
      ),
    simStats: async () => (await simCall('GET', '/sim/stats')) as SimStatsSnapshot,
    injectFaults: async (next) =>
      void (await simCall('POST', '/sim/faults', { next, endpoints: ['chat'] })),
    async close() {
      await reader.disconnect();
      await Promise.all(Object.values(started).map((p) => p.close()));
      await Promise.all(extra.map((p) => p.close()));
      for (const queue of queues) {
        await queue.obliterate({ force: true });
        await queue.close();
      }
      await producer.disconnect();
      await sim.close();
      await database.drop();
      // Caches, locks and vectors of this fixture's own namespace.
      await deleteKeys(redis, `${names.queuePrefix}:*`);
      await redis.quit();
      await Promise.all(workerConnections.map((c) => c.quit().catch(() => undefined)));
      const admin = rawKafka.admin();
      await admin.connect();
      await admin.deleteGroups([readerGroup]).catch(() => undefined);
      await admin.deleteTopics({ topics: Object.values(names.topics), timeout: 10_000 });
      await admin.disconnect();
    },
  };
}

async function deleteKeys(client: Redis, pattern: string) {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
