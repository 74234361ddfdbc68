import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  QUEUE_POLICIES,
  QUEUES,
  dispatchJobSchema,
  fixtures,
  prepareJobSchema,
  type DispatchJob,
  type PrepareJob,
  type QueueName,
  type RequestMessage,
  type z,
} from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createLogger } from '@asahi/logger';
import {
  createQueue,
  createRedisConnection,
  createWorker,
  enqueueBulk,
  type Job,
  type JobContext,
  type Queue,
  type Redis,
} from './index';

/*
 * Integration tests of @asahi/queue against the real local Redis. Each test uses its own BullMQ
 * prefix, so queues are never shared, and obliterates what it created.
 */

const logger = createLogger({ service: 'test', level: 'silent' });
const RUN = `it-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let seq = 0;
const uid = (label: string) => `${RUN}-${++seq}-${label}`;

let redisUrl: string;
let closers: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  const infra = readInfraEndpoints();
  if (!infra) {
    throw new Error(
      'local infra is not running: run `npx tsx scripts/infra/cli.ts up` (or set REDIS_URL)',
    );
  }
  redisUrl = infra.redisUrl;
});

afterEach(async () => {
  const toClose = closers.reverse();
  closers = [];
  // Every closer runs even if an earlier one fails, so one failure never leaks into the next test.
  const errors: unknown[] = [];
  for (const close of toClose) await close().catch((err: unknown) => errors.push(err));
  if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
});

interface Harness<T> {
  prefix: string;
  queue: Queue<T>;
  /** Starts a worker on the same queue and prefix with its own connection. */
  work<S extends z.ZodType>(
    schema: S,
    handle: (data: z.infer<S>, ctx: JobContext) => Promise<unknown>,
  ): Promise<void>;
}

/** A queue under a unique prefix; afterEach closes workers, obliterates the queue and quits Redis. */
async function harness<T>(name: QueueName): Promise<Harness<T>> {
  const prefix = uid('bull');
  const queueConnection = createRedisConnection(redisUrl, `${prefix}-queue`);
  const queue = createQueue<T>(name, { connection: queueConnection, prefix });
  closers.push(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    // Obliterate removes the queue's keys; sweep anything else left under our unique prefix.
    const leftovers = await queueConnection.keys(`${prefix}:*`);
    if (leftovers.length > 0) await queueConnection.del(...leftovers);
    await queueConnection.quit();
  });
  return {
    prefix,
    queue,
    async work(schema, handle) {
      const connection = createRedisConnection(redisUrl, `${prefix}-worker`);
      const worker = createWorker({ name, schema, connection, prefix, logger, handle });
      closers.push(async () => {
        await worker.close();
        await connection.quit();
      });
      await worker.waitUntilReady();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until the job reaches a final state, then reads it. State first, job second: a job read
 * before its state check could be a snapshot from the attempt before (stale attemptsMade).
 */
async function settled<T>(queue: Queue<T>, jobId: string, timeoutMs = 20_000): Promise<Job<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') return (await queue.getJob(jobId))!;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} not settled after ${timeoutMs} ms (state ${state})`);
    await sleep(25);
  }
}

function requestMessage(): RequestMessage {
  return { ...(fixtures.request() as RequestMessage), requestId: uid('req') };
}

function prepareJob(request = requestMessage()): PrepareJob {
  return { request, enqueuedAt: Date.now() };
}

function dispatchJob(request = requestMessage()): DispatchJob {
  return { request, cacheKey: null, enqueuedAt: Date.now(), timings: {} };
}

describe('createQueue + enqueueBulk', () => {
  it('applies the queue policy as default job options', async () => {
    const h = await harness<PrepareJob>(QUEUES.prepare);
    const id = uid('job');
    await enqueueBulk(h.queue, [{ jobId: id, data: prepareJob(), priority: 3, delayMs: 60_000 }]);
    const job = (await h.queue.getJob(id))!;
    expect(job.name).toBe(QUEUES.prepare);
    expect(job.opts).toMatchObject({
      jobId: id,
      attempts: QUEUE_POLICIES[QUEUES.prepare].attempts,
      backoff: { type: 'asahi' },
      priority: 3,
      delay: 60_000,
    });
    expect(await job.getState()).toBe('delayed');
    // The prefix keeps it apart from any other queue of the same name.
    expect(h.queue.opts.prefix).toBe(h.prefix);
  });

  it('dedupes by job id: the same id added twice (and again after completion) runs once', async () => {
    const h = await harness<PrepareJob>(QUEUES.prepare);
    const dup = uid('dup');
    const other = uid('other');
    const first = prepareJob();
    const second = prepareJob();
    await enqueueBulk(h.queue, [
      { jobId: dup, data: first },
      { jobId: dup, data: second }, // same id in the same addBulk
    ]);
    await enqueueBulk(h.queue, [
      { jobId: dup, data: second }, // same id in a later call (a Kafka redelivery)
      { jobId: other, data: second },
    ]);
    expect(await h.queue.count()).toBe(2);

    const runs: { jobId: string; requestId: string }[] = [];
    await h.work(prepareJobSchema, async (data, ctx) => {
      runs.push({ jobId: ctx.jobId, requestId: data.request.requestId });
    });
    await settled(h.queue, dup);
    await settled(h.queue, other);

    // Completed jobs are kept (keepCompleted), so the id still dedupes afterwards.
    await enqueueBulk(h.queue, [{ jobId: dup, data: second }]);
    await sleep(500);

    expect(runs.filter((r) => r.jobId === dup)).toEqual([
      { jobId: dup, requestId: first.request.requestId }, // the first add wins
    ]);
    expect(runs).toHaveLength(2);
    expect(await h.queue.getJobCounts('completed', 'wait', 'delayed', 'failed')).toEqual({
      completed: 2,
      wait: 0,
      delayed: 0,
      failed: 0,
    });
  });
});

describe('createWorker', () => {
  it('fails a payload that breaks its schema at once, without calling the handler or retrying', async () => {
    const h = await harness<unknown>(QUEUES.prepare);
    const id = uid('bad');
    await enqueueBulk<unknown>(h.queue, [
      { jobId: id, data: { request: requestMessage(), enqueuedAt: 'yesterday' } },
    ]);
    let calls = 0;
    await h.work(prepareJobSchema, async () => {
      calls++;
    });

    const job = await settled(h.queue, id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1); // of 3 allowed: UnrecoverableError skips the retries
    expect(job.failedReason).toMatch(/^invalid job payload: enqueuedAt: /);
    expect(calls).toBe(0);
  });

  it('retries a retryable AppError: attempts 1,2,3, final flag on the last, honours retryAfterMs', async () => {
    const h = await harness<PrepareJob>(QUEUES.prepare); // attempts 3, backoff base 200 ms
    const retryAfterMs = 1_000;
    const alwaysFails = uid('always-fails');
    const failsTwice = uid('fails-twice');
    const failsTwiceData = prepareJob();
    await enqueueBulk(h.queue, [
      { jobId: alwaysFails, data: prepareJob() },
      { jobId: failsTwice, data: failsTwiceData },
    ]);

    const seen = new Map<string, JobContext[]>();
    await h.work(prepareJobSchema, async (data, ctx) => {
      seen.set(ctx.jobId, [...(seen.get(ctx.jobId) ?? []), ctx]);
      if (ctx.jobId === alwaysFails) {
        throw new AppError('provider_rate_limited', 'slow down', { retryAfterMs });
      }
      // 'internal' is not retryable by default: the explicit flag is what makes it retry.
      if (ctx.attempt < 3) throw new AppError('internal', 'flaky', { retryable: true });
      return { handled: data.request.requestId };
    });

    const failed = await settled(h.queue, alwaysFails);
    const completed = await settled(h.queue, failsTwice);

    for (const jobId of [alwaysFails, failsTwice]) {
      const contexts = seen.get(jobId)!;
      expect(contexts.map((c) => [c.attempt, c.attemptsAllowed, c.isFinalAttempt])).toEqual([
        [1, 3, false],
        [2, 3, false],
        [3, 3, true],
      ]);
      expect(new Set(contexts.map((c) => c.createdAt)).size).toBe(1);
    }

    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsMade).toBe(3);
    expect(failed.failedReason).toBe('slow down');
    // The backoff never undercuts retry-after (generous lower bound: timers are not exact).
    const starts = seen.get(alwaysFails)!.map((c) => c.startedAt);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(0.8 * retryAfterMs);
    }

    expect(await completed.getState()).toBe('completed');
    expect(completed.attemptsMade).toBe(3);
    expect(completed.returnvalue).toEqual({ handled: failsTwiceData.request.requestId });
  });

  it('fails a non-retryable AppError after one attempt, and retries an unknown error until attempts run out', async () => {
    const h = await harness<DispatchJob>(QUEUES.dispatch); // attempts 5
    const invalid = uid('invalid');
    const plain = uid('plain-error');
    await enqueueBulk(h.queue, [
      { jobId: invalid, data: dispatchJob() },
      { jobId: plain, data: dispatchJob() },
    ]);

    const seen: JobContext[] = [];
    await h.work(dispatchJobSchema, async (_data, ctx) => {
      seen.push(ctx);
      if (ctx.jobId === invalid) throw new AppError('invalid_request', 'model not allowed');
      // Anything that is not an AppError is an unknown fault: retried within the attempts.
      throw new Error('boom');
    });

    const a = await settled(h.queue, invalid);
    const b = await settled(h.queue, plain);
    await sleep(600); // longer than any backoff that would have been scheduled

    expect(await a.getState()).toBe('failed');
    expect(a.attemptsMade).toBe(1);
    expect(a.failedReason).toBe('invalid_request: model not allowed');
    expect(await b.getState()).toBe('failed');
    expect(b.attemptsMade).toBe(5);
    expect(b.failedReason).toBe('boom');

    const attemptsOf = (id: string) =>
      seen
        .filter((c) => c.jobId === id)
        .map((c) => [c.attempt, c.attemptsAllowed, c.isFinalAttempt]);
    expect(attemptsOf(invalid)).toEqual([[1, 5, false]]);
    expect(attemptsOf(plain)).toEqual([
      [1, 5, false],
      [2, 5, false],
      [3, 5, false],
      [4, 5, false],
      [5, 5, true],
    ]);
  });
});

// The connection helper is part of the public API too: workers need maxRetriesPerRequest null.
describe('createRedisConnection', () => {
  it('connects with the options BullMQ workers require', async () => {
    const name = uid('conn');
    const redis: Redis = createRedisConnection(redisUrl, name);
    closers.push(() => redis.quit());
    expect(await redis.ping()).toBe('PONG');
    expect(redis.options.maxRetriesPerRequest).toBeNull();
    expect(await redis.client('GETNAME')).toBe(name);
  });
});
