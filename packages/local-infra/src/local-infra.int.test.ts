import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { infraStatus, infraUp, readInfraEndpoints, type InfraEndpoints } from './index';
import { getFreePort, isPortFree, pickPort } from './ports';

const { Kafka, logLevel } = kafkajs;

// A cold first start (Maven download + initdb + JVM) can take a while on a 2-core machine.
const TIMEOUT = 180_000;

let endpoints: InfraEndpoints;

beforeAll(async () => {
  // Idempotent: reuses servers that are already up. Deliberately no infraDown: other suites share them.
  endpoints = await infraUp();
}, TIMEOUT);

/** Raw RESP PING, independent of the package's own probe implementation. */
function redisPing(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) }, () =>
      socket.write('*1\r\n$4\r\nPING\r\n'),
    );
    socket.once('data', (data) => {
      socket.end();
      resolve(data.toString('utf8').trim());
    });
    socket.once('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('redis ping timeout')));
  });
}

describe('local infra (integration)', { timeout: TIMEOUT }, () => {
  it('reports every component healthy and exposes the endpoints to fixtures', async () => {
    const status = await infraStatus();
    expect(status.components.map((c) => [c.component, c.healthy])).toEqual([
      ['kafka', true],
      ['redis', true],
      ['postgres', true],
    ]);
    expect(readInfraEndpoints()).toMatchObject({
      kafkaBrokers: endpoints.kafkaBrokers,
      redisUrl: endpoints.redisUrl,
      databaseUrl: endpoints.databaseUrl,
    });
  });

  it('is idempotent: a second infraUp starts nothing and returns the same endpoints', async () => {
    const again = await infraUp();
    expect(again).toEqual({ ...endpoints, started: [] });
  });

  it('serves Redis', async () => {
    expect(await redisPing(endpoints.redisUrl)).toBe('+PONG');
  });

  it('serves PostgreSQL with the asahi database', async () => {
    const client = new pg.Client({ connectionString: endpoints.databaseUrl });
    await client.connect();
    try {
      const result = await client.query<{ one: number; db: string }>(
        'SELECT 1 AS one, current_database() AS db',
      );
      expect(result.rows[0]).toEqual({ one: 1, db: 'asahi' });
    } finally {
      await client.end();
    }
  });

  it('serves Kafka: create a topic, produce and consume a message', async () => {
    const kafka = new Kafka({
      clientId: 'local-infra-test',
      brokers: endpoints.kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const topic = `local-infra-test-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: false,
    });
    // A fresh broker may answer "does not host this topic-partition" for a moment: poll for a
    // leader (kafkajs's own waitForLeaders gives up on that error).
    for (let tries = 0; tries < 150; tries++) {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => null);
      if (meta?.topics[0]?.partitions.every((p) => p.leader >= 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'hello' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `local-infra-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<string>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => resolve(message.value?.toString() ?? ''),
      });
    });
    try {
      expect(await received).toBe('hello');
    } finally {
      await consumer.disconnect();
    }
  });

  it('reuses a preferred port only while it is free', async () => {
    const port = await getFreePort();
    expect(await isPortFree(port)).toBe(true);
    expect(await pickPort(port)).toBe(port);
    expect(await pickPort(port, [port])).not.toBe(port);
  });
});
