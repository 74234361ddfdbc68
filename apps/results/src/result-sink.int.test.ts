import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtures,
  namesFor,
  QUEUES,
  resultMessageSchema,
  type ResultMessage,
  type WebhookJob,
} from '@asahi/contracts';
import { saveTerminalResult, createTestDatabase, type TestDatabase } from '@asahi/db';
import type { ConsumedMessage } from '@asahi/kafka';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createQueue, createRedisConnection, type Queue, type Redis } from '@asahi/queue';
import { createResultSink, resultChannelFor, webhookDeliveryId } from './result-sink';

/**
 * The results batch handler on real Postgres (a throwaway database), real Redis pub/sub and a
 * real BullMQ webhook queue under a prefix of its own. No worker runs: the webhook jobs stay put.
 */
const names = namesFor(`it${randomBytes(4).toString('hex')}`);
let database: TestDatabase;
let redis: Redis;
let subscriber: Redis;
let webhookQueue: Queue<WebhookJob>;
let seq = 0;
const saved: { requestId: string; firstTime: boolean }[] = [];
const announced: { channel: string; message: string }[] = [];
let sink: ReturnType<typeof createResultSink>;

beforeAll(async () => {
  const infra = readInfraEndpoints();
  if (!infra)
    throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up` first');
  database = await createTestDatabase(infra.databaseUrl);
  redis = createRedisConnection(infra.redisUrl, 'results');
  subscriber = createRedisConnection(infra.redisUrl, 'results-it-subscriber');
  subscriber.on('message', (channel: string, message: string) =>
    announced.push({ channel, message }),
  );
  webhookQueue = createQueue<WebhookJob>(QUEUES.webhook, {
    connection: redis,
    prefix: names.queuePrefix,
  });
  const prisma = database.db.prisma;
  sink = createResultSink({
    store: { saveTerminalResult: (r) => saveTerminalResult(prisma, r) },
    webhookQueue,
    redis,
    names,
    onSaved: (r, firstTime) => saved.push({ requestId: r.requestId, firstTime }),
  });
});

afterAll(async () => {
  if (webhookQueue) {
    await webhookQueue.obliterate({ force: true });
    await webhookQueue.close();
  }
  await subscriber?.quit();
  await redis?.quit();
  await database?.drop();
});

function makeResult(over: Partial<ResultMessage> = {}): ResultMessage {
  const requestId = `req_${names.queuePrefix}_${++seq}`;
  return resultMessageSchema.parse({
    ...(fixtures.result() as ResultMessage),
    requestId,
    tenantId: 'tenant_sink',
    callback: { url: `http://127.0.0.1:9/hooks/${requestId}` },
    ...over,
  });
}

let offset = 0;
const consumed = (value: ResultMessage): ConsumedMessage<ResultMessage> => ({
  value,
  topic: names.topics.results,
  partition: 0,
  offset: String(offset++),
  headers: {},
});

/** Subscribes (and waits for Redis to confirm) before the sink runs, like a sync waiter does. */
async function listen(requestId: string) {
  const channel = resultChannelFor(names, requestId);
  await subscriber.subscribe(channel);
  return {
    channel,
    messages: () =>
      announced.filter((a) => a.channel === channel).map((a) => JSON.parse(a.message)),
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const webhookJobs = async () =>
  (await webhookQueue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter(Boolean);

describe('result sink (real Redis, Postgres, BullMQ)', () => {
  it('handling the same result twice saves once, enqueues one webhook and announces it', async () => {
    const result = makeResult();
    const { channel, messages } = await listen(result.requestId);
    expect(channel).toBe(`${names.queuePrefix}:asahi:result:${result.requestId}`);

    await sink([consumed(result)]);
    await sink([consumed(result)]); // a redelivery after a crash before the offset commit

    expect(saved.filter((s) => s.requestId === result.requestId)).toEqual([
      { requestId: result.requestId, firstTime: true },
      { requestId: result.requestId, firstTime: false },
    ]);

    const prisma = database.db.prisma;
    expect(await prisma.result.count({ where: { id: result.requestId } })).toBe(1);
    expect(await prisma.job.findUnique({ where: { id: result.requestId } })).toMatchObject({
      status: 'succeeded',
      tenantId: 'tenant_sink',
      resultId: result.requestId,
    });

    const mine = (await webhookJobs()).filter((j) => j.data.result.requestId === result.requestId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.id).toBe(`whk_${result.requestId}`);
    expect(mine[0]!.id).toBe(webhookDeliveryId(result.requestId));
    expect(mine[0]!.data).toEqual({
      deliveryId: `whk_${result.requestId}`,
      url: result.callback!.url,
      result,
    });

    // Every copy is announced (a waiter that subscribed late still finds the row in Postgres).
    const heard = await waitFor('two announcements', () =>
      messages().length >= 2 ? messages() : undefined,
    );
    expect(heard).toEqual([
      { requestId: result.requestId, status: 'succeeded' },
      { requestId: result.requestId, status: 'succeeded' },
    ]);
    await subscriber.unsubscribe(channel);
  });

  it('a duplicate inside one batch is also saved once, with one webhook job', async () => {
    const result = makeResult({
      status: 'failed',
      error: { code: 'provider_error', message: 'x', retryable: true },
    });
    const { channel, messages } = await listen(result.requestId);

    await sink([consumed(result), consumed(result)]);

    expect(saved.filter((s) => s.requestId === result.requestId).map((s) => s.firstTime)).toEqual([
      true,
      false,
    ]);
    const ids = (await webhookJobs())
      .filter((j) => j.data.result.requestId === result.requestId)
      .map((j) => j.id);
    expect(ids).toEqual([webhookDeliveryId(result.requestId)]);
    await waitFor('announcements', () => (messages().length >= 2 ? true : undefined));
    expect(messages()[0]).toEqual({ requestId: result.requestId, status: 'failed' });
    await subscriber.unsubscribe(channel);
  });

  it('a result without a callback is saved and announced, with no webhook job', async () => {
    const { callback: _callback, ...withoutCallback } = makeResult();
    const result = resultMessageSchema.parse(withoutCallback);
    const { channel, messages } = await listen(result.requestId);
    const jobsBefore = (await webhookJobs()).length;

    await sink([consumed(result)]);

    expect(saved.filter((s) => s.requestId === result.requestId)).toEqual([
      { requestId: result.requestId, firstTime: true },
    ]);
    expect(await webhookQueue.getJob(webhookDeliveryId(result.requestId))).toBeUndefined();
    expect((await webhookJobs()).length).toBe(jobsBefore);
    expect(await waitFor('announcement', () => messages()[0])).toEqual({
      requestId: result.requestId,
      status: 'succeeded',
    });
    await subscriber.unsubscribe(channel);
  });
});
