import {
  auditEventSchema,
  namesFor,
  QUEUES,
  resultMessageSchema,
  type WebhookJob,
} from '@asahi/contracts';
import {
  appendAuditEvents,
  createDb,
  findStuckJobs,
  saveTerminalResult,
  touchJobs,
} from '@asahi/db';
import { createServer, listenAndLog, onShutdown } from '@asahi/http';
import {
  createJsonProducer,
  createKafka,
  ensureTopics,
  requestHeaders,
  runValidatedConsumer,
} from '@asahi/kafka';
import { createLogger } from '@asahi/logger';
import { Counter, createRegistry } from '@asahi/metrics';
import { createQueue, createRedisConnection } from '@asahi/queue';
import { loadConfig } from './config';
import { startReconciler } from './reconciler';
import { createResultSink } from './result-sink';
import { fetchWebhookHttp } from './webhook-delivery';
import { startWebhookWorker } from './webhook.processor';

const config = loadConfig();
const logger = createLogger({ service: 'results', level: config.LOG_LEVEL });
const registry = createRegistry('results');
const persisted = new Counter({
  name: 'asahi_results_persisted_total',
  help: 'Results consumed, by whether they were new or duplicates.',
  labelNames: ['outcome'],
  registers: [registry],
});
const webhooks = new Counter({
  name: 'asahi_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome.',
  labelNames: ['outcome'],
  registers: [registry],
});
const deadLetters = new Counter({
  name: 'asahi_dead_letters_total',
  help: 'Messages dead-lettered by this consumer.',
  labelNames: ['source'],
  registers: [registry],
});
const names = namesFor(config.ASAHI_NAMESPACE);

const db = createDb(config.DATABASE_URL, {
  applicationName: 'asahi-results',
  onPoolError: (err) => logger.warn({ err }, 'pg pool error'),
});
const redis = createRedisConnection(config.REDIS_URL, 'results');
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'asahi-results', logger });
await ensureTopics(kafka, Object.values(names.topics));
const producer = await createJsonProducer(kafka);
const webhookQueue = createQueue<WebhookJob>(QUEUES.webhook, {
  connection: redis,
  prefix: names.queuePrefix,
});
const worker = startWebhookWorker({
  connection: createRedisConnection(config.REDIS_URL, 'results-webhooks'),
  prefix: names.queuePrefix,
  logger,
  prisma: db.prisma,
  ports: {
    http: fetchWebhookHttp,
    secret: config.WEBHOOK_SIGNING_SECRET,
    now: () => Date.now(),
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
  },
  onOutcome: (outcome) => webhooks.inc({ outcome }),
});

const results = await runValidatedConsumer({
  kafka,
  groupId: names.groups.results,
  topics: [names.topics.results],
  schema: resultMessageSchema,
  logger,
  deadLetters: producer,
  deadLetterTopic: names.topics.deadLetter,
  onDeadLetter: () => deadLetters.inc({ source: names.topics.results }),
  handleBatch: createResultSink({
    store: { saveTerminalResult: (r) => saveTerminalResult(db.prisma, r) },
    webhookQueue,
    redis,
    names,
    onSaved: (_r, firstTime) => persisted.inc({ outcome: firstTime ? 'new' : 'duplicate' }),
  }),
});
const audit = await runValidatedConsumer({
  kafka,
  groupId: `${names.groups.results}-audit`,
  topics: [names.topics.audit],
  schema: auditEventSchema,
  logger,
  deadLetters: producer,
  deadLetterTopic: names.topics.deadLetter,
  onDeadLetter: () => deadLetters.inc({ source: names.topics.audit }),
  handleBatch: async (items) =>
    void (await appendAuditEvents(
      db.prisma,
      items.map((i) => i.value),
    )),
});

const reconciler = startReconciler(
  {
    findStuck: (olderThan, limit) => findStuckJobs(db.prisma, olderThan, limit),
    redrive: (requests) =>
      producer.send(
        names.topics.requests,
        requests.map((r) => ({ key: r.requestId, value: r, headers: requestHeaders(r) })),
      ),
    touch: async (ids) => void (await touchJobs(db.prisma, ids)),
    now: () => Date.now(),
    logger,
  },
  { intervalMs: config.RECONCILE_INTERVAL_MS, staleAfterMs: config.RECONCILE_STALE_AFTER_MS },
);

const server = createServer({
  logger,
  registry,
  ready: async () =>
    (await redis.ping()) === 'PONG' && (await db.pool.query('select 1')).rowCount === 1,
});
await listenAndLog(
  server,
  { port: config.PORT, host: config.HOST },
  { namespace: config.ASAHI_NAMESPACE },
);

onShutdown(logger, [
  { name: 'reconciler', close: () => reconciler.stop() },
  { name: 'consumers', close: () => Promise.all([results.stop(), audit.stop()]) },
  { name: 'webhook worker', close: () => worker.close() },
  { name: 'http', close: () => server.close() },
  { name: 'queue', close: () => webhookQueue.close() },
  { name: 'producer', close: () => producer.disconnect() },
  { name: 'redis', close: () => redis.quit() },
  { name: 'db', close: () => db.close() },
]);
