import {
  namesFor,
  QUEUES,
  requestMessageSchema,
  type BatchJob,
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
import {
  createDb,
  createDispatchBatchRepository,
  createModelRegistryRepository,
  getTenant,
} from '@asahi/db';
import { createLogger } from '@asahi/logger';
import { createEnrichmentMetrics, createLlmMetrics, createRegistry } from '@asahi/metrics';
import { createOpenAiChatProvider, openAiBatchClientFor } from '@asahi/provider-openai';
import { breakerGauge } from '@asahi/stages';
import { createRedisBreakers } from './adapters/redis-breaker';
import { dispatchSettingsFrom } from './dispatch-settings';
import { createQueue, createRedisConnection } from '@asahi/queue';
import { countTokens } from '@asahi/stages';
import { createFeatureStore } from './adapters/feature-store';
import { createRedisExactCache } from './adapters/redis-exact-cache';
import { createSemanticPorts } from './adapters/semantic-ports';
import { createTenantContextLoader } from './adapters/tenant-context';
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
const batchQueue = createQueue<BatchJob>(QUEUES.batches, {
  connection: redis,
  prefix: names.queuePrefix,
});
const deadQueue = createQueue<unknown>(QUEUES.dispatchDead, {
  connection: redis,
  prefix: names.queuePrefix,
});
const settings = dispatchSettingsFrom(config);
const breakers = createRedisBreakers(redis, {
  prefix: names.queuePrefix,
  onChange: ({ provider, model, state }) => {
    metrics.breakerState.set({ provider, model }, breakerGauge(state));
    logger.warn({ provider, model, state: state.status }, 'circuit breaker changed state');
  },
});
const db = createDb(config.DATABASE_URL, {
  applicationName: 'asahi-pipeline',
  onPoolError: (err) => logger.warn({ err }, 'idle postgres connection failed'),
});
const cache = createRedisExactCache(redis, {
  prefix: names.queuePrefix,
  maxEntriesPerTenant: config.EXACT_CACHE_MAX_ENTRIES_PER_TENANT,
  maxEntryBytes: config.EXACT_CACHE_MAX_ENTRY_BYTES,
  onEvict: (count) => metrics.cacheEvictions.inc({ tier: 'exact' }, count),
});
const clock = { now: () => Date.now() };
const registryRepo = createModelRegistryRepository(db.prisma);
const contextFor = createTenantContextLoader(
  {
    tenantSettings: async (id) => (await getTenant(db.prisma, id))?.settings ?? null,
    listModels: () => registryRepo.listModels(),
  },
  { ttlMs: config.TENANT_CONTEXT_TTL_MS, logger },
);
const featureStore = createFeatureStore({
  redis,
  prisma: db.prisma,
  prefix: names.queuePrefix,
  ttlSeconds: config.FEATURE_CACHE_TTL_S,
  metrics: createEnrichmentMetrics(registry),
});
// Load the tokenizer ranks now (≈1 s), not inside the first request's prepare.
if (pools.has('prepare'))
  for (const model of ['gpt-4o', 'gpt-3.5-turbo']) countTokens('warm up', model);
const semantic = pools.has('prepare')
  ? await createSemanticPorts(config, redis, names.queuePrefix, metrics)
  : null;
const provider = createOpenAiChatProvider({
  apiKey: config.OPENAI_API_KEY,
  baseURL: config.OPENAI_BASE_URL,
});

const batchClient = openAiBatchClientFor({
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
    ports: {
      cache,
      clock,
      provider,
      ...(semantic ? { semantic } : {}),
      enrichment: {
        templates: featureStore,
        features: featureStore,
        budgetMs: config.ENRICHMENT_BUDGET_MS,
      },
    },
    contextFor,
    dispatchQueue,
    batchQueue,
    deadQueue,
    batches: createDispatchBatchRepository(db.prisma),
    batchClient,
    breakers,
    settings,
    redis,
    publisher,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    concurrency: {
      prepare: config.PREPARE_CONCURRENCY,
      dispatch: config.DISPATCH_CONCURRENCY,
      steps: config.STEPS_CONCURRENCY,
    },
    stepCache: {
      maxEntriesPerTenant: config.STEP_CACHE_MAX_ENTRIES_PER_TENANT,
      maxEntryBytes: config.STEP_CACHE_MAX_ENTRY_BYTES,
    },
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
// Ops: every circuit breaker's state (also the asahi_circuit_breaker_state gauge).
server.get('/ops/breakers', async () => {
  const views = await breakers.list();
  for (const v of views)
    metrics.breakerState.set({ provider: v.provider, model: v.model }, breakerGauge(v.state));
  return {
    breakers: views.map((v) => ({
      provider: v.provider,
      model: v.model,
      state: v.state.status,
      ...(v.state.status === 'open'
        ? {
            openedAt: new Date(v.state.openedAt).toISOString(),
            retryAt: new Date(v.state.retryAt).toISOString(),
          }
        : {}),
    })),
  };
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
  {
    name: 'queues',
    close: () =>
      Promise.all([
        prepareQueue.close(),
        dispatchQueue.close(),
        batchQueue.close(),
        deadQueue.close(),
      ]),
  },
  { name: 'producer', close: () => producer.disconnect() },
  { name: 'postgres', close: () => db.close() },
  { name: 'redis', close: () => redis.quit() },
]);
