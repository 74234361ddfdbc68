import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  resultChannel,
  resultMessageSchema,
  type RequestMessage,
  type ResultMessage,
} from '@asahi/contracts';
import {
  createApiKey,
  createDb,
  migrate,
  saveTerminalResult,
  upsertTenant,
  type Db,
} from '@asahi/db';
import { createKafka, type Kafka } from '@asahi/kafka';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createLogger } from '@asahi/logger';
import { createRegistry } from '@asahi/metrics';
import { createRedisConnection } from '@asahi/queue';
import { buildIngestApp, type IngestApp } from './build-app';
import { loadConfig } from './config';
import { createIngestRuntime, type IngestRuntime } from './runtime';

/**
 * Integration fixture: a fresh Postgres schema (migrated), two in-process ingest instances on
 * real Kafka/Redis/Postgres under a unique namespace, and a real Kafka consumer on the requests
 * topic. No mocks: the "results app" is simulated by writing through the db repository and
 * publishing on the Redis channel, exactly as apps/results does.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Instance {
  runtime: IngestRuntime;
  built: IngestApp;
  url: string;
  logLines: Record<string, unknown>[];
}

export interface ConsumedRequest {
  key: string | null;
  value: RequestMessage;
  headers: Record<string, string>;
}

export interface IngestFixture {
  ns: string;
  infra: { kafkaBrokers: string; redisUrl: string; databaseUrl: string };
  db: Db;
  A: Instance;
  B: Instance;
  keys: { a: string; b: string; admin: string };
  consumed: ConsumedRequest[];
  kafka(clientId: string): Kafka;
  /** What apps/results does: persist the terminal result, then announce it on Redis. */
  announceResult(requestId: string, tenantId?: string): Promise<ResultMessage>;
  close(): Promise<void>;
}

export async function setupIngestFixture(): Promise<IngestFixture> {
  const infra = readInfraEndpoints();
  if (!infra) {
    throw new Error(
      'local infra is not running: run `npx tsx scripts/infra/cli.ts up` (or set KAFKA_BROKERS, REDIS_URL, DATABASE_URL)',
    );
  }
  const ns = `t${Date.now()}`;
  const schema = `ingest_${ns}`;
  const databaseUrl = withSchema(infra.databaseUrl, schema);
  await migrate(databaseUrl, join(ROOT, 'prisma', 'migrations'));
  const db = createDb(databaseUrl);
  const redis = createRedisConnection(infra.redisUrl, 'ingest-api-test');
  await upsertTenant(db.prisma, { id: 'tenant_a', name: 'A' });
  await upsertTenant(db.prisma, { id: 'tenant_b', name: 'B' });
  const keys = {
    a: (await createApiKey(db.prisma, 'tenant_a', 'a')).key,
    b: (await createApiKey(db.prisma, 'tenant_b', 'b')).key,
    admin: (await createApiKey(db.prisma, 'tenant_a', 'ops', ['admin'])).key,
  };

  const env = {
    KAFKA_BROKERS: infra.kafkaBrokers,
    REDIS_URL: infra.redisUrl,
    DATABASE_URL: databaseUrl,
    ASAHI_NAMESPACE: ns,
  };
  const A = await startInstance('a', env);
  const B = await startInstance('b', env);

  const quiet = createLogger({ service: 'test', level: 'error' });
  const kafka = (clientId: string) =>
    createKafka({ brokers: [infra.kafkaBrokers], clientId: `${ns}-${clientId}`, logger: quiet });
  const consumed: ConsumedRequest[] = [];
  const consumer = kafka('reader').consumer({ groupId: `${ns}-test-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic: A.runtime.names.topics.requests, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      const value = JSON.parse(message.value?.toString() ?? 'null') as RequestMessage;
      consumed.push({ key: message.key?.toString() ?? null, value, headers });
    },
  });

  return {
    ns,
    infra,
    db,
    A,
    B,
    keys,
    consumed,
    kafka,
    async announceResult(requestId, tenantId = 'tenant_a') {
      const result = terminalResult(requestId, tenantId);
      const { firstTime } = await saveTerminalResult(db.prisma, result);
      if (!firstTime) throw new Error(`result for ${requestId} was already saved`);
      const channel = `${A.runtime.names.queuePrefix}:${resultChannel(requestId)}`;
      await redis.publish(channel, JSON.stringify({ requestId, status: result.status }));
      return result;
    },
    async close() {
      await consumer.disconnect();
      for (const { runtime, built } of [A, B]) {
        for (const step of runtime.shutdownSteps(() => built.app.close())) await step.close();
      }
      await redis.quit();
      await deleteTopics(kafka('cleanup'), Object.values(A.runtime.names.topics));
      await db.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.close();
    },
  };
}

async function startInstance(label: string, env: Record<string, string>): Promise<Instance> {
  const logLines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = createLogger({ service: `ingest-api-${label}`, level: 'info', destination });
  const runtime = await createIngestRuntime(loadConfig(env), logger, createRegistry('ingest-api'));
  const built = await buildIngestApp(runtime.deps);
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = built.app.server.address() as { port: number };
  return { runtime, built, url: `http://127.0.0.1:${port}`, logLines };
}

/** Namespaced topics are per run: drop them so local Kafka does not accumulate them. */
async function deleteTopics(kafka: Kafka, topics: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

function terminalResult(requestId: string, tenantId: string): ResultMessage {
  const now = Date.now();
  return resultMessageSchema.parse({
    schemaVersion: 1,
    requestId,
    tenantId,
    mode: 'sync',
    status: 'succeeded',
    acceptedAt: new Date(now - 1000).toISOString(),
    deadlineAt: new Date(now + 60_000).toISOString(),
    completedAt: new Date(now).toISOString(),
    model: 'gpt-4o-mini',
    provider: 'openai',
    output: { id: 'chatcmpl-1', model: 'gpt-4o-mini', content: 'Tokyo.', finishReason: 'stop' },
    usage: { promptTokens: 12, completionTokens: 2, totalTokens: 14 },
    costUsd: 0.000003,
    baselineCostUsd: 0.000003,
    cacheTier: 'none',
    attempts: 1,
    timings: { dispatch: 12.5 },
  });
}

export async function waitFor<T>(
  probe: () => T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
