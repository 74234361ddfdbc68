import {
  namesFor,
  QUEUES,
  requestMessageSchema,
  type DispatchJob,
  type PrepareJob,
} from '@asahi/contracts';
import { createServer, listenAndLog, onShutdown } from '@asahi/http';
import {
  createJsonProducer,
  createKafka,
  ensureTopics,
  runValidatedConsumer,
  type RunningConsumer,
} from '@asahi/kafka';
import { createLogger } from '@asahi/logger';
import { createLlmMetrics, createRegistry } from '@asahi/metrics';
import { createOpenAiChatProvider } from '@asahi/provider-openai';
import { createQueue, createRedisConnection } from '@asahi/queue';
import { createRedisExactCache } from './adapters/redis-exact-cache';
import { loadConfig } from './config';
import { createIntake } from './intake';
import { createResultPublisher } from './result-publisher';
import { startWorkerPools } from './worker-pools';

const config = loadConfig();
const logger = createLogger({ service: 'pipeline', level: config.LOG_LEVEL });
const registry = createRegistry('pipeline');
const metrics = createLlmMetrics(registry);
const names = namesFor(config.ASAHI_NAMESPACE);
const pools = new Set(config.PIPELINE_POOLS.split(',').map((p) => p.trim()));

const redis = createRedisConnection(config.REDIS_URL, 'pipeline');
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'asahi-pipeline', logger });
await ensureTopics(kafka, Object.values(names.topics));
const producer = await createJsonProducer(kafka);
const publisher = createResultPublisher(producer, names, metrics);
const prepareQueue = createQueue<PrepareJob>(QUEUES.prepare, {
  connection: redis,
  prefix: names.queuePrefix,
});
const dispatchQueue = createQueue<DispatchJob>(QUEUES.dispatch, {
  connection: redis,
  prefix: names.queuePrefix,
});
const cache = createRedisExactCache(redis, {
  prefix: names.queuePrefix,
  maxEntriesPerTenant: 100_000,
  maxEntryBytes: 256 * 1024,
});
const clock = { now: () => Date.now() };
const provider = createOpenAiChatProvider({
  apiKey: config.OPENAI_API_KEY,
  baseURL: config.OPENAI_BASE_URL,
});

const workers = Object.values(
  startWorkerPools({
    pools,
    connect: (name) => createRedisConnection(config.REDIS_URL, name),
    prefix: names.queuePrefix,
    logger,
    metrics,
    ports: { cache, clock, provider },
    dispatchQueue,
    publisher,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    concurrency: { prepare: config.PREPARE_CONCURRENCY, dispatch: config.DISPATCH_CONCURRENCY },
  }),
);
let consumer: RunningConsumer | undefined;
if (pools.has('intake')) {
  consumer = await runValidatedConsumer({
    kafka,
    groupId: names.groups.pipeline,
    topics: [names.topics.requests],
    schema: requestMessageSchema,
    logger,
    deadLetters: producer,
    deadLetterTopic: names.topics.deadLetter,
    handleBatch: createIntake(prepareQueue),
    onDeadLetter: (reason) =>
      metrics.deadLetters.inc({
        source: names.topics.requests,
        reason: reason.split(':')[0] ?? 'invalid',
      }),
  });
}

const server = createServer({
  logger,
  registry,
  ready: async () => (await redis.ping()) === 'PONG',
});
await listenAndLog(
  server,
  { port: config.PORT, host: config.HOST },
  { pools: [...pools], namespace: config.ASAHI_NAMESPACE },
);

onShutdown(logger, [
  { name: 'kafka consumer', close: () => consumer?.stop() },
  { name: 'workers', close: () => Promise.all(workers.map((w) => w.close())) },
  { name: 'http', close: () => server.close() },
  { name: 'queues', close: () => Promise.all([prepareQueue.close(), dispatchQueue.close()]) },
  { name: 'producer', close: () => producer.disconnect() },
  { name: 'redis', close: () => redis.quit() },
]);
