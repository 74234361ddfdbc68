import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import {
  findModel,
  fixtures,
  namesFor,
  TASK_TYPES,
  QUEUES,
  requestMessageSchema,
  resultMessageSchema,
  type DispatchJob,
  type ModelProfile,
  type PrepareJob,
  type RequestMessage,
  type ResultMessage,
  type StepJob,
} from '@asahi/contracts';
import { createJsonProducer, createKafka, ensureTopics } from '@asahi/kafka';
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
} from '@asahi/queue';
import { waitFor } from '@asahi/testing';
import { createRedisExactCache } from './adapters/redis-exact-cache';
import { createResultPublisher } from './result-publisher';
import { startWorkerPools } from './worker-pools';

/**
 * Integration fixture for step flows: the prepare, dispatch and steps pools wired by
 * startWorkerPools as main.ts wires them, with a model registry (gpt-4o-mini) for prepare's routing. Real Redis and Kafka under a namespace of their own, and a
 * kafkajs consumer reading the results topic. The provider is the real simulator, in-process,
 * through the openai SDK adapter. Injected 429s ask for SIM_RETRY_AFTER_MS.
 */
export const SIM_RETRY_AFTER_MS = 5_000;

const info = findModel('gpt-4o-mini')!;
/** The one registry entry prepare's routing needs to run gpt-4o-mini as requested. */
const MINI: ModelProfile = {
  id: info.id,
  provider: 'openai',
  kind: 'chat',
  inputPer1M: info.inputPer1M,
  outputPer1M: info.outputPer1M,
  batchInputPer1M: info.inputPer1M / 2,
  batchOutputPer1M: info.outputPer1M / 2,
  contextWindow: info.contextWindow,
  capabilities: ['json', 'tools', 'sampling'],
  quality: Object.fromEntries(TASK_TYPES.map((t) => [t, 0.8])) as ModelProfile['quality'],
  typicalLatencyMs: 500,
  enabled: true,
};

export interface StepsFixture {
  ns: string;
  stepsQueue: Queue<StepJob>;
  /** A request with a unique id and body (so no exact-cache entry can answer it). */
  makeRequest(patch?: Partial<RequestMessage> & { content?: string }): RequestMessage;
  /** Enqueues the prepare job as intake does; resolves with the first result for the request. */
  run(request: RequestMessage): Promise<ResultMessage>;
  resultsFor(requestId: string): ResultMessage[];
  simStats(): Promise<SimStatsSnapshot>;
  injectFaults(next: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function setupStepsFixture(): Promise<StepsFixture> {
  const infra = readInfraEndpoints();
  if (!infra) throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up`');
  const brokers = infra.kafkaBrokers.split(',');
  const ns = `st${randomBytes(4).toString('hex')}`;
  const names = namesFor(ns);
  const logger = createLogger({ service: 'steps-it', level: 'silent' });

  const sim = buildSimulator(
    loadSimConfig({ LOG_LEVEL: 'silent', SIM_FAULT_RETRY_AFTER_MS: String(SIM_RETRY_AFTER_MS) }),
  );
  await sim.listen({ host: '127.0.0.1', port: 0 });
  const simUrl = `http://127.0.0.1:${(sim.server.address() as { port: number }).port}`;

  const kafka = createKafka({ brokers, clientId: `${ns}-pipeline`, logger });
  await ensureTopics(kafka, Object.values(names.topics));
  const producer = await createJsonProducer(kafka);
  const publisher = createResultPublisher(producer, names, createLlmMetrics(createRegistry('t')));
  const redis = createRedisConnection(infra.redisUrl, 'steps-it');
  const queueOptions = { connection: redis, prefix: names.queuePrefix };
  const prepareQueue = createQueue<PrepareJob>(QUEUES.prepare, queueOptions);
  const dispatchQueue = createQueue<DispatchJob>(QUEUES.dispatch, queueOptions);
  const stepsQueue = createQueue<StepJob>(QUEUES.steps, queueOptions);
  const connections: Redis[] = [];
  const connect = (name: string) => {
    const c = createRedisConnection(infra.redisUrl, name);
    connections.push(c);
    return c;
  };
  const metrics = createLlmMetrics(createRegistry('t2'));
  const cache = createRedisExactCache(redis, {
    prefix: names.queuePrefix,
    maxEntriesPerTenant: 1_000,
    maxEntryBytes: 256 * 1024,
  });
  const clock = { now: () => Date.now() };
  const pools = startWorkerPools({
    pools: new Set(['prepare', 'dispatch', 'steps']),
    connect,
    prefix: names.queuePrefix,
    logger,
    metrics,
    ports: {
      cache,
      clock,
      provider: createOpenAiChatProvider({ apiKey: 'sk-asahi-it', baseURL: `${simUrl}/v1` }),
    },
    contextFor: async () => ({ policy: { cache: {}, routing: {} }, registry: [MINI] }),
    dispatchQueue,
    publisher,
    timeoutMs: 30_000,
  });

  const results: ResultMessage[] = [];
  const rawKafka = new Kafka({ clientId: `${ns}-reader`, brokers, logLevel: logLevel.NOTHING });
  const readerGroup = `${ns}-it-reader`;
  const reader = rawKafka.consumer({ groupId: readerGroup });
  await reader.connect();
  await reader.subscribe({ topics: [names.topics.results], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      results.push(resultMessageSchema.parse(JSON.parse(message.value?.toString() ?? 'null')));
    },
  });

  const simCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${simUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  let seq = 0;

  return {
    ns,
    stepsQueue,
    makeRequest({ content, ...patch } = {}) {
      const { callback: _callback, ...base } = fixtures.request() as RequestMessage;
      const now = Date.now();
      const id = `req_${ns}_${++seq}`;
      return requestMessageSchema.parse({
        ...base,
        requestId: id,
        tenantId: 'tenant_a',
        acceptedAt: new Date(now).toISOString(),
        deadlineAt: new Date(now + 10 * 60_000).toISOString(),
        body: {
          model: 'gpt-4o-mini',
          temperature: 0,
          messages: [{ role: 'user', content: content ?? `Run the declared steps (${id})` }],
        },
        ...patch,
      });
    },
    async run(request) {
      await enqueueBulk(prepareQueue, [
        { jobId: request.requestId, data: { request, enqueuedAt: Date.now() } },
      ]);
      return waitFor(`result of ${request.requestId}`, () =>
        results.find((r) => r.requestId === request.requestId),
      );
    },
    resultsFor: (requestId) => results.filter((r) => r.requestId === requestId),
    simStats: async () => (await simCall('GET', '/sim/stats')) as SimStatsSnapshot,
    injectFaults: async (next) =>
      void (await simCall('POST', '/sim/faults', { next, endpoints: ['chat'] })),
    async close() {
      await reader.disconnect();
      await Promise.all(Object.values(pools).map((p) => p.close()));
      for (const queue of [prepareQueue, dispatchQueue, stepsQueue]) {
        await queue.obliterate({ force: true });
        await queue.close();
      }
      await producer.disconnect();
      await sim.close();
      const left = await redis.keys(`${names.queuePrefix}:*`);
      if (left.length > 0) await redis.del(...left);
      await redis.quit();
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
      const admin = rawKafka.admin();
      await admin.connect();
      await admin.deleteGroups([readerGroup]).catch(() => undefined);
      await admin.deleteTopics({ topics: Object.values(names.topics), timeout: 10_000 });
      await admin.disconnect();
    },
  };
}
