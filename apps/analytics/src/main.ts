import { auditEventSchema, namesFor, resultMessageSchema } from '@asahi/contracts';
import { createDb, recordUsageBatch } from '@asahi/db';
import { createServer, listenAndLog, onShutdown } from '@asahi/http';
import { createJsonProducer, createKafka, ensureTopics, runValidatedConsumer } from '@asahi/kafka';
import { createLogger } from '@asahi/logger';
import { Counter, createRegistry } from '@asahi/metrics';
import { loadConfig } from './config';
import { usageFromAudit, usageFromResult, type UsageDelta } from './usage-delta';

const config = loadConfig();
const logger = createLogger({ service: 'analytics', level: config.LOG_LEVEL });
const registry = createRegistry('analytics');
const counted = new Counter({
  name: 'asahi_analytics_events_total',
  help: 'Events folded into hourly aggregates, by source and whether they were new.',
  labelNames: ['source', 'outcome'],
  registers: [registry],
});
const names = namesFor(config.ASAHI_NAMESPACE);

const db = createDb(config.DATABASE_URL, {
  applicationName: 'asahi-analytics',
  onPoolError: (err) => logger.warn({ err }, 'pg pool error'),
});
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'asahi-analytics', logger });
await ensureTopics(kafka, Object.values(names.topics));
const producer = await createJsonProducer(kafka);

/** Folds deltas in one idempotent statement; a redelivered chunk adds nothing twice. */
async function fold(source: string, deltas: UsageDelta[]) {
  if (deltas.length === 0) return;
  const { countedKeys } = await recordUsageBatch(db.prisma, deltas);
  counted.inc({ source, outcome: 'new' }, countedKeys.length);
  counted.inc({ source, outcome: 'duplicate' }, deltas.length - countedKeys.length);
}

const consumers = [
  await runValidatedConsumer({
    kafka,
    groupId: names.groups.analytics,
    topics: [names.topics.results],
    schema: resultMessageSchema,
    logger,
    deadLetters: producer,
    deadLetterTopic: names.topics.deadLetter,
    handleBatch: (items) =>
      fold(
        'results',
        items.map((i) => usageFromResult(i.value)),
      ),
  }),
  await runValidatedConsumer({
    kafka,
    groupId: `${names.groups.analytics}-audit`,
    topics: [names.topics.audit],
    schema: auditEventSchema,
    logger,
    deadLetters: producer,
    deadLetterTopic: names.topics.deadLetter,
    handleBatch: (items) =>
      fold(
        'audit',
        items.flatMap((i) => usageFromAudit(i.value) ?? []),
      ),
  }),
];

const server = createServer({
  logger,
  registry,
  ready: async () => (await db.pool.query('select 1')).rowCount === 1,
});
await listenAndLog(
  server,
  { port: config.PORT, host: config.HOST },
  { namespace: config.ASAHI_NAMESPACE },
);

onShutdown(logger, [
  { name: 'consumers', close: () => Promise.all(consumers.map((c) => c.stop())) },
  { name: 'http', close: () => server.close() },
  { name: 'producer', close: () => producer.disconnect() },
  { name: 'db', close: () => db.close() },
]);
