import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startContainers } from './containers';
import { infraUp, InfraUpError } from './index';
import { pingRedis } from './redis-probe';

const { Kafka, logLevel } = kafkajs;

// Decided once, independently of the module under test: the container tests run only with an
// engine (and are reported as skipped otherwise); the no-engine test runs only without one.
const engineAvailable = await getContainerRuntimeClient().then(
  () => true,
  () => false,
);

// First run pulls apache/kafka, redis and postgres images.
const PULL_AND_START_TIMEOUT = 600_000;

afterEach(() => {
  vi.unstubAllEnvs();
});

async function produceAndConsume(brokers: string): Promise<string> {
  const kafka = new Kafka({
    clientId: 'containers-test',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const topic = `containers-test-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'hello' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `containers-test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    return await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('INFRA=containers (integration)', () => {
  it.runIf(engineAvailable)(
    'starts Kafka, Redis and PostgreSQL as containers that serve clients, and stops them',
    { timeout: PULL_AND_START_TIMEOUT },
    async () => {
      const infra = await startContainers(() => {}, {});
      try {
        expect(infra.started).toEqual([]);
        expect(infra.stop).toBeTypeOf('function');
        expect(await pingRedis(infra.redisUrl)).toBe(true);
        const client = new pg.Client({ connectionString: infra.databaseUrl });
        await client.connect();
        try {
          const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
          expect(rows[0]?.db).toBe('asahi');
        } finally {
          await client.end();
        }
        // Through the advertised listener: proves the mapped host port reached the broker config.
        expect(await produceAndConsume(infra.kafkaBrokers)).toBe('hello');
      } finally {
        await infra.stop?.();
      }
      expect(await pingRedis(infra.redisUrl)).toBe(false);
    },
  );

  it.runIf(!engineAvailable)('fails with a clear message when no engine is reachable', async () => {
    // Empty values count as unset, so nothing is provided and containers are needed.
    vi.stubEnv('INFRA', 'containers');
    for (const name of ['KAFKA_BROKERS', 'REDIS_URL', 'DATABASE_URL']) vi.stubEnv(name, '');
    const err = await infraUp().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfraUpError);
    expect((err as InfraUpError).message).toMatch(
      /^INFRA=containers needs a reachable Docker engine, but none was found/,
    );
    expect((err as InfraUpError).started).toEqual([]);
  });

  it('starts nothing (and needs no engine) when env vars provide every server', async () => {
    const env = {
      KAFKA_BROKERS: 'kafka.example:9092',
      REDIS_URL: 'redis://redis.example:6379',
      DATABASE_URL: 'postgresql://postgres@db.example:5432/asahi',
    };
    expect(await startContainers(() => {}, env)).toEqual({
      kafkaBrokers: env.KAFKA_BROKERS,
      redisUrl: env.REDIS_URL,
      databaseUrl: env.DATABASE_URL,
      started: [],
    });
  });
});
