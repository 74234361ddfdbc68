import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtures,
  namesFor,
  QUEUES,
  resultMessageSchema,
  verifyWebhook,
  WEBHOOK_HEADERS,
  webhookEventSchema,
  webhookJobSchema,
  type ResultMessage,
  type WebhookJob,
  type WebhookVerification,
} from '@asahi/contracts';
import { createTestDatabase, type TestDatabase } from '@asahi/db';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createLogger } from '@asahi/logger';
import {
  createQueue,
  createRedisConnection,
  enqueueBulk,
  type Queue,
  type Redis,
  type Worker,
} from '@asahi/queue';
import { webhookDeliveryId } from './result-sink';
import { fetchWebhookHttp } from './webhook-delivery';
import { startWebhookWorker } from './webhook.processor';

/**
 * The webhook worker on real Redis (BullMQ) and a real Postgres test database, POSTing over real
 * HTTP to a local receiver that verifies every signature the way a tenant's server would.
 */
const SECRET = 'it-webhook-secret-0123456789abcdef';
const names = namesFor(`it${randomBytes(4).toString('hex')}`);
const logger = createLogger({ service: 'results-it', level: 'silent' });

interface Delivery {
  path: string;
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  verification: WebhookVerification;
  answered: number;
}

/** Per path: the statuses to answer, in order; the last one repeats. */
const scripts = new Map<string, number[]>();
const deliveries: Delivery[] = [];
const outcomes: string[] = [];
let receiver: Server;
let receiverUrl: string;
let database: TestDatabase;
let queueConnection: Redis;
let workerConnection: Redis;
let webhookQueue: Queue<WebhookJob>;
let worker: Worker;
let seq = 0;

beforeAll(async () => {
  const infra = readInfraEndpoints();
  if (!infra)
    throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up` first');

  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const seen = deliveries.filter((d) => d.path === path).length;
      const script = scripts.get(path) ?? [404];
      const answered = script[Math.min(seen, script.length - 1)]!;
      deliveries.push({
        path,
        at: Date.now(),
        headers: req.headers,
        body,
        verification: verifyWebhook(
          SECRET,
          body,
          req.headers[WEBHOOK_HEADERS.signature] as string | undefined,
          Math.floor(Date.now() / 1000),
        ),
        answered,
      });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

  database = await createTestDatabase(infra.databaseUrl);
  queueConnection = createRedisConnection(infra.redisUrl, 'results');
  workerConnection = createRedisConnection(infra.redisUrl, 'results-webhooks');
  webhookQueue = createQueue<WebhookJob>(QUEUES.webhook, {
    connection: queueConnection,
    prefix: names.queuePrefix,
  });
  worker = startWebhookWorker({
    connection: workerConnection,
    prefix: names.queuePrefix,
    logger,
    prisma: database.db.prisma,
    ports: { http: fetchWebhookHttp, secret: SECRET, now: () => Date.now(), timeoutMs: 5_000 },
    onOutcome: (outcome) => outcomes.push(outcome),
  });
});

afterAll(async () => {
  await worker?.close();
  if (webhookQueue) {
    await webhookQueue.obliterate({ force: true });
    await webhookQueue.close();
  }
  await queueConnection?.quit();
  await workerConnection?.quit().catch(() => undefined);
  await database?.drop();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Enqueues a delivery of a fixture result to `path` on the receiver, answered by `script`. */
async function enqueueDelivery(script: number[]) {
  const requestId = `req_${names.queuePrefix}_${++seq}`;
  const path = `/hooks/${requestId}`;
  scripts.set(path, script);
  const url = `${receiverUrl}${path}`;
  const result: ResultMessage = resultMessageSchema.parse({
    ...(fixtures.result() as ResultMessage),
    requestId,
    tenantId: 'tenant_hooks',
    callback: { url },
  });
  const job = webhookJobSchema.parse({ deliveryId: webhookDeliveryId(requestId), url, result });
  await enqueueBulk(webhookQueue, [{ jobId: job.deliveryId, data: job }]);
  return { job, path };
}

const rowOf = (id: string) => database.db.prisma.webhookDelivery.findUnique({ where: { id } });

/** The row is written inside the attempt; BullMQ records the job's end just after it returns. */
const settled = (id: string, state: 'completed' | 'failed') =>
  waitFor(`job ${id} ${state}`, async () => {
    // State first: the job read after it has the fields of the finished attempt.
    if ((await webhookQueue.getJobState(id)) !== state) return undefined;
    return webhookQueue.getJob(id);
  });

describe('webhook worker (real Redis, Postgres and HTTP)', () => {
  it('retries a 500, then delivers: same delivery id, valid signatures, row delivered after 2 attempts', async () => {
    const outcomesBefore = outcomes.length;
    const { job, path } = await enqueueDelivery([500, 204]);
    const bullJob = await settled(job.deliveryId, 'completed');
    const row = await rowOf(job.deliveryId);

    expect(row).toMatchObject({
      id: job.deliveryId,
      jobId: job.result.requestId,
      tenantId: 'tenant_hooks',
      url: job.url,
      status: 'delivered',
      attempts: 2,
      lastStatusCode: 204,
      lastError: null,
    });
    expect(row?.deliveredAt).toBeInstanceOf(Date);

    const mine = deliveries.filter((d) => d.path === path);
    expect(mine.map((d) => d.answered)).toEqual([500, 204]);
    for (const d of mine) {
      expect(d.verification).toEqual({ ok: true });
      expect(d.headers[WEBHOOK_HEADERS.deliveryId]).toBe(job.deliveryId);
      expect(d.headers[WEBHOOK_HEADERS.event]).toBe('job.completed');
      expect(d.headers['content-type']).toBe('application/json');
      expect(webhookEventSchema.parse(JSON.parse(d.body))).toEqual({
        id: job.deliveryId,
        type: 'job.completed',
        createdAt: job.result.completedAt,
        data: job.result,
      });
    }
    // Backoff base 1000 ms with full jitter: the retry comes within about a second.
    expect(mine[1]!.at - mine[0]!.at).toBeLessThan(3_000);

    expect(outcomes.slice(outcomesBefore)).toEqual(['retry', 'delivered']);
    expect(bullJob.attemptsMade).toBe(2);
  });

  it('a 410 is refused for good: failed at once, not retried, row failed', async () => {
    const outcomesBefore = outcomes.length;
    const { job, path } = await enqueueDelivery([410]);
    const bullJob = await settled(job.deliveryId, 'failed');
    expect(bullJob.attemptsMade).toBe(1);
    const row = await rowOf(job.deliveryId);
    expect(row).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatusCode: 410,
      deliveredAt: null,
    });
    expect(row?.lastError).toContain('410');

    // Longer than the first retry could take (full jitter under 1 s): still one delivery.
    await new Promise((r) => setTimeout(r, 1_500));
    const mine = deliveries.filter((d) => d.path === path);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.verification).toEqual({ ok: true });
    expect(mine[0]!.headers[WEBHOOK_HEADERS.deliveryId]).toBe(job.deliveryId);
    expect((await rowOf(job.deliveryId))?.attempts).toBe(1);
    expect(outcomes.slice(outcomesBefore)).toEqual(['failed']);
  });
});
