import { namesFor, QUEUES, resultChannel, type Names } from '@asahi/contracts';
import { createDb, createModelRegistryRepository, getTenant } from '@asahi/db';
import type { ShutdownStep } from '@asahi/http';
import { createBatchingSender, createJsonProducer, createKafka, ensureTopics } from '@asahi/kafka';
import type { Logger } from '@asahi/logger';
import type { Registry } from '@asahi/metrics';
import { createQueue, createRedisConnection } from '@asahi/queue';
import type { IngestDeps } from './build-app';
import type { IngestConfig } from './config';
import { createJobStore, createKeyLookup } from './job-store';
import { createResultWaiter } from './result-waiter';
import { createEnrichmentStores } from './enrichment-store';
import { createModelCheck } from './model-check';

export interface IngestRuntime {
  names: Names;
  deps: IngestDeps;
  /** Graceful order: release sync waiters, stop HTTP, flush Kafka, then close the clients. */
  shutdownSteps(closeHttp: () => Promise<unknown>): ShutdownStep[];
}

const PROBE_TIMEOUT_MS = 2_000;

/** Connects Postgres, Redis (commands + one subscriber) and Kafka, and returns the app's deps. */
export async function createIngestRuntime(
  config: IngestConfig,
  logger: Logger,
  registry: Registry,
): Promise<IngestRuntime> {
  const names = namesFor(config.ASAHI_NAMESPACE);
  const db = createDb(config.DATABASE_URL, {
    applicationName: 'asahi-ingest-api',
    onPoolError: (err) => logger.warn({ err }, 'idle postgres connection failed'),
  });
  const redis = createRedisConnection(config.REDIS_URL, 'ingest-api');
  const subscriber = createRedisConnection(config.REDIS_URL, 'ingest-api-results');
  for (const r of [redis, subscriber])
    r.on('error', (err) => logger.warn({ err }, 'redis connection error'));

  const { producer, sender, producerConnected } = await connectKafka(config, names, logger);

  const queues = [QUEUES.prepare, QUEUES.dispatch, QUEUES.steps, QUEUES.webhook].map((name) =>
    createQueue(name, { connection: redis, prefix: names.queuePrefix }),
  );
  const waiter = createResultWaiter({
    subscriber,
    // The results app publishes on exactly this name after persisting a result.
    channelFor: (requestId) => `${names.queuePrefix}:${resultChannel(requestId)}`,
    logger,
  });

  const ready = async () => {
    const [pg, ping] = await Promise.all([
      withTimeout(db.pool.query('SELECT 1')).then(
        () => true,
        () => false,
      ),
      withTimeout(redis.ping()).then(
        (r) => r === 'PONG',
        () => false,
      ),
    ]);
    return pg && ping && producerConnected() && subscriber.status === 'ready';
  };

  const deps: IngestDeps = {
    logger,
    registry,
    limits: {
      maxWaitS: config.MAX_WAIT_S,
      defaultSyncDeadlineS: config.DEFAULT_SYNC_DEADLINE_S,
      defaultAsyncDeadlineS: config.DEFAULT_ASYNC_DEADLINE_S,
      defaultBulkDeadlineS: config.DEFAULT_BULK_DEADLINE_S,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      bulkMaxBytes: config.BULK_MAX_BYTES,
      bulkMaxLines: config.BULK_MAX_LINES,
    },
    jobs: createJobStore(db),
    lookupKey: createKeyLookup(db),
    tenantSettings: async (tenantId) => (await getTenant(db.prisma, tenantId))?.settings ?? null,
    models: createModelCheck(() => createModelRegistryRepository(db.prisma).listModels(), {
      ttlMs: 30_000,
    }),
    sender,
    waiter,
    queues,
    ready,
    enrichment: createEnrichmentStores({ db, redis, prefix: names.queuePrefix, logger }),
  };

  return {
    names,
    deps,
    shutdownSteps: (closeHttp) => [
      // Sync callers get their 202 handle now instead of holding the drain for up to MAX_WAIT_S.
      { name: 'sync waiters', close: () => waiter.release() },
      { name: 'http', close: closeHttp },
      { name: 'kafka sender', close: () => sender.flush() },
      { name: 'kafka producer', close: () => producer.disconnect() },
      { name: 'queues', close: () => Promise.all(queues.map((q) => q.close())) },
      { name: 'redis', close: () => Promise.all([subscriber.quit(), redis.quit()]) },
      { name: 'postgres', close: () => db.close() },
    ],
  };
}

/** Idempotent acks=all producer behind a batching sender, and whether it is connected now. */
async function connectKafka(config: IngestConfig, names: Names, logger: Logger) {
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 'asahi-ingest-api',
    logger,
  });
  await ensureTopics(kafka, Object.values(names.topics));
  const producer = await createJsonProducer(kafka);
  let connected = true;
  producer.raw.on(producer.raw.events.CONNECT, () => (connected = true));
  producer.raw.on(producer.raw.events.DISCONNECT, () => (connected = false));
  const sender = createBatchingSender(producer, { topic: names.topics.requests });
  return { producer, sender, producerConnected: () => connected };
}

/** A probe must answer: ioredis would otherwise queue a PING forever while disconnected. */
function withTimeout<T>(promise: Promise<T>, ms = PROBE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
