/**
 * End to end: every app as its own OS process, real Kafka/Redis/Postgres, the simulator as the
 * provider, talking HTTP like a client would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { deadLetterSchema, namesFor, type RequestMessage } from '@asahi/contracts';
import { createApiKey, createDb, createQueuedJob, upsertTenant, type Db } from '@asahi/db';
import { readInfraEndpoints, startStack, type Stack } from '@asahi/testing';
import { createTestDatabase, type TestDatabase } from '@asahi/db';
import { apiClient, chatBody, startWebhookReceiver, waitFor, type ApiClient } from './support';

const SECRET = 'e2e-webhook-secret-0123456789';
const namespace = `e2e${Date.now().toString(36)}`;
const names = namesFor(namespace);
let stack: Stack;
let database: TestDatabase;
let db: Db;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let api: ApiClient;
let api2: ApiClient;
let otherTenant: ApiClient;
let kafkaBrokers: string;

beforeAll(async () => {
  const infra = readInfraEndpoints();
  if (!infra) throw new Error('infra is not up: run `npm run infra -- up` (npm test does it)');
  kafkaBrokers = infra.kafkaBrokers;
  database = await createTestDatabase(infra.databaseUrl);
  db = createDb(database.url);
  await upsertTenant(db.prisma, { id: 'acme', name: 'Acme' });
  await upsertTenant(db.prisma, { id: 'globex', name: 'Globex' });
  const acmeKey = await createApiKey(db.prisma, 'acme', 'e2e');
  const globexKey = await createApiKey(db.prisma, 'globex', 'e2e');
  receiver = await startWebhookReceiver(SECRET);
  stack = await startStack({
    namespace,
    infra: { ...infra, databaseUrl: database.url },
    ingestInstances: 2,
    webhookSecret: SECRET,
    // Slow enough (≈0.2 s a call, 4 at a time) that the crash test really kills work in flight.
    simEnv: { SIM_LATENCY_MS: '20', SIM_LATENCY_PER_TOKEN_MS: '5' },
    env: {
      // The realtime request path; the Batch API path has e2e/deadline.e2e.test.ts.
      pipeline: { DISPATCH_CONCURRENCY: '4', BATCH_API: 'false' },
      results: { RECONCILE_INTERVAL_MS: '1000', RECONCILE_STALE_AFTER_MS: '3000' },
    },
  });
  api = apiClient(stack.ingestUrls[0]!, acmeKey.key);
  api2 = apiClient(stack.ingestUrls[1]!, acmeKey.key);
  otherTenant = apiClient(stack.ingestUrls[0]!, globexKey.key);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  await db?.close();
  await database?.drop();
});

const sim = (path: string, init?: RequestInit) =>
  fetch(`${stack.simUrl}${path}`, init).then((r) => r.json() as Promise<any>);

describe('the request path', () => {
  it('runs an async job and delivers a signed webhook', async () => {
    const submitted = await api.post('/v1/jobs', {
      ...chatBody('async with webhook'),
      callback: { url: receiver.url },
    });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get('x-request-id')).toBeTruthy();
    const id = submitted.body.id as string;
    const hook = await waitFor('webhook', () =>
      receiver.received.find((w) => w.event.data.requestId === id),
    );
    expect(hook.verification).toEqual({ ok: true });
    expect(hook.deliveryId).toBe(hook.event.id);
    expect(hook.event.data).toMatchObject({ status: 'succeeded', tenantId: 'acme' });
    const job = await api.get(`/v1/jobs/${id}`);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({
      id,
      status: 'succeeded',
      result: { output: { content: expect.stringContaining('Simulated reply') } },
    });
  });

  it('answers a sync wait inline, also on the other API instance', async () => {
    const res = await api2.post('/v1/jobs', chatBody('sync on instance two'), {
      prefer: 'wait=30',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'succeeded',
      result: { usage: { promptTokens: expect.any(Number) } },
    });
  });

  it('serves the same prompt twice from the exact cache at zero provider cost', async () => {
    const before = await sim('/sim/stats');
    const first = await api.post('/v1/jobs', chatBody('cache me if you can'), {
      prefer: 'wait=30',
    });
    const second = await api.post('/v1/jobs', chatBody('cache me if you can'), {
      prefer: 'wait=30',
    });
    const after = await sim('/sim/stats');
    expect(first.body.result).toMatchObject({ cacheTier: 'none' });
    expect(first.body.result.costUsd).toBeGreaterThan(0);
    expect(second.body.result).toMatchObject({
      cacheTier: 'exact',
      costUsd: 0,
      baselineCostUsd: first.body.result.costUsd,
    });
    expect(second.body.result.output.content).toBe(first.body.result.output.content);
    expect(after.chatCompletions - before.chatCompletions).toBe(1);
  });

  it('does not share the cache across tenants', async () => {
    await api.post('/v1/jobs', chatBody('tenant scoped cache'), { prefer: 'wait=30' });
    const other = await otherTenant.post('/v1/jobs', chatBody('tenant scoped cache'), {
      prefer: 'wait=30',
    });
    expect(other.body.result).toMatchObject({ cacheTier: 'none' });
  });

  it('retries provider 500s to success', async () => {
    await sim('/sim/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ next: ['500', '500'], endpoints: ['chat'] }),
    });
    const res = await api.post('/v1/jobs', chatBody('flaky provider'), { prefer: 'wait=60' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', result: { attempts: 3 } });
  });

  it('hides another tenant’s job', async () => {
    const mine = await api.post('/v1/jobs', chatBody('private job'));
    const peek = await otherTenant.get(`/v1/jobs/${mine.body.id}`);
    expect(peek.status).toBe(404);
    expect(peek.body.error).toMatchObject({ code: 'not_found', requestId: expect.any(String) });
  });
});

describe('bad input', () => {
  it('answers a malformed body with the error shape', async () => {
    const res = await api.raw('/v1/jobs', {
      method: 'POST',
      body: '{"model": "gpt-4o-mini", "messages": [',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'invalid_request',
        message: expect.stringMatching(/JSON/),
        requestId: res.headers.get('x-request-id'),
      },
    });
  });

  it('answers a bad API key with the error shape', async () => {
    const res = await apiClient(stack.ingestUrls[0]!, 'ask_nope_nope').post(
      '/v1/jobs',
      chatBody('x'),
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({
      code: 'unauthenticated',
      type: 'authentication_error',
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('dead-letters a malformed Kafka message and keeps consuming', async () => {
    const kafka = new Kafka({
      clientId: 'e2e',
      brokers: kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const marker = `garbage-${Date.now()}`;
    await producer.send({
      topic: names.topics.requests,
      messages: [
        { key: marker, value: '{"this is": not json' },
        { key: `${marker}-2`, value: JSON.stringify({ schemaVersion: 1, requestId: marker }) },
      ],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `e2e-dlq-${Date.now()}` });
    const letters: unknown[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: names.topics.deadLetter, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void letters.push(JSON.parse(message.value!.toString())),
    });
    const mine = await waitFor('dead letters', () => {
      const found = letters
        .map((l) => deadLetterSchema.parse(l))
        .filter((l) => l.key?.startsWith(marker));
      return found.length === 2 ? found : undefined;
    });
    await consumer.disconnect();
    expect(mine.find((l) => l.key === marker)?.reason).toMatch(/not JSON/);
    expect(mine.find((l) => l.key === `${marker}-2`)?.reason).toMatch(/tenantId/);

    const after = await api.post('/v1/jobs', chatBody('still consuming after garbage'), {
      prefer: 'wait=30',
    });
    expect(after.body.status).toBe('succeeded');
  });
});

describe('crash safety', () => {
  it('kill -9 of the pipeline mid-stream: every accepted job reaches exactly one terminal result', async () => {
    const total = 150;
    const ids: string[] = [];
    const submit = async (i: number) => {
      const res = await api.post('/v1/jobs', chatBody(`crash test prompt ${i} ${namespace}`));
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    };
    await Promise.all(Array.from({ length: 100 }, (_, i) => submit(i)));
    // Crash once some, but not all, of them are done: work is queued and in flight.
    const done = await waitFor(
      'some results',
      async () => {
        const n = await db.prisma.result.count({ where: { id: { in: ids } } });
        return n >= 10 ? n : undefined;
      },
      60_000,
      50,
    );
    expect(done).toBeLessThan(100);
    await stack.apps.pipeline!.crash();
    // Ingest keeps accepting while the pipeline is down: Kafka holds the requests.
    await Promise.all(Array.from({ length: total - 100 }, (_, i) => submit(100 + i)));
    await stack.restart('pipeline');

    const rows = await waitFor(
      'all jobs terminal',
      async () => {
        const jobs = await db.prisma.job.findMany({
          where: { id: { in: ids } },
          select: { id: true, status: true },
        });
        return jobs.length === total && jobs.every((j) => j.status === 'succeeded')
          ? jobs
          : undefined;
      },
      120_000,
      500,
    );
    expect(rows).toHaveLength(total);
    const results = await db.prisma.result.findMany({
      where: { id: { in: ids } },
      select: { id: true },
    });
    expect(new Set(results.map((r) => r.id)).size).toBe(total);
  });

  it('re-drives a job Postgres accepted but Kafka never saw (the reconciler)', async () => {
    const now = Date.now();
    const orphan: RequestMessage = {
      schemaVersion: 1,
      requestId: `req_orphan_${namespace}`,
      tenantId: 'acme',
      mode: 'async',
      acceptedAt: new Date(now).toISOString(),
      deadlineAt: new Date(now + 3_600_000).toISOString(),
      body: chatBody('an orphaned request') as RequestMessage['body'],
    };
    // As if ingest died between storing the job and producing it.
    await createQueuedJob(db.prisma, orphan);
    const job = await waitFor(
      'the orphan to complete',
      async () => {
        const row = await db.prisma.job.findUnique({ where: { id: orphan.requestId } });
        return row?.status === 'succeeded' ? row : undefined;
      },
      60_000,
      250,
    );
    expect(job.resultId ?? job.id).toBeTruthy();
  });

  it('analytics counted each terminal result exactly once', async () => {
    const expected = await db.prisma.result.count({ where: { tenantId: 'acme' } });
    const usage = await waitFor(
      'analytics to catch up',
      async () => {
        const rows = await db.prisma.usageHourly.findMany({ where: { tenantId: 'acme' } });
        const requests = rows.reduce((n, r) => n + r.requests, 0);
        return requests === expected ? rows : undefined;
      },
      60_000,
      500,
    );
    expect(usage.reduce((n, r) => n + r.cacheHits, 0)).toBeGreaterThanOrEqual(1);
  });
});
