import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_POLICIES, QUEUES, z } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createLogger } from '@asahi/logger';
import {
  addFlow,
  createFlowProducer,
  createQueue,
  createRedisConnection,
  createWorker,
  type Job,
  type Queue,
} from './index';

/* addFlow on the real local Redis: each test under its own BullMQ prefix, removed afterwards. */

const logger = createLogger({ service: 'test', level: 'silent' });
const RUN = `flow-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let seq = 0;
let redisUrl: string;
let closers: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  const infra = readInfraEndpoints();
  if (!infra) throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up`');
  redisUrl = infra.redisUrl;
});

afterEach(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  closers = [];
});

const payload = z.object({ label: z.string() });
type Payload = z.infer<typeof payload>;

async function setup(
  handle: (data: Payload, children: Record<string, unknown>) => Promise<unknown>,
) {
  const prefix = `${RUN}-${++seq}`;
  const redis = createRedisConnection(redisUrl, `${prefix}-q`);
  const queue: Queue<Payload> = createQueue(QUEUES.steps, { connection: redis, prefix });
  const flows = createFlowProducer(createRedisConnection(redisUrl, `${prefix}-flow`), prefix);
  const workerRedis = createRedisConnection(redisUrl, `${prefix}-w`);
  const worker = createWorker({
    name: QUEUES.steps,
    schema: payload,
    connection: workerRedis,
    prefix,
    logger,
    handle: async (data, ctx) => handle(data, await ctx.childrenValues()),
  });
  closers.push(async () => {
    await worker.close();
    await flows.close();
    await queue.obliterate({ force: true });
    await queue.close();
    const left = await redis.keys(`${prefix}:*`);
    if (left.length > 0) await redis.del(...left);
    await Promise.all([redis.quit(), workerRedis.quit()]);
  });
  return { queue, flows, prefix };
}

async function settled(queue: Queue<Payload>, jobId: string): Promise<Job<Payload>> {
  const until = Date.now() + 20_000;
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') return (await queue.getJob(jobId))!;
    if (Date.now() > until) throw new Error(`${jobId} not settled (state ${state})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('addFlow', () => {
  it('runs children before parents, passes their return values up, and applies the queue policy', async () => {
    const order: string[] = [];
    const { queue, flows } = await setup(async ({ label }, children) => {
      order.push(label);
      return { label, below: Object.values(children) };
    });
    await addFlow<Payload>(flows, {
      queue: QUEUES.steps,
      name: 'root',
      jobId: 'r.root',
      data: { label: 'root' },
      children: [
        {
          queue: QUEUES.steps,
          name: 'mid',
          jobId: 'r.mid',
          data: { label: 'mid' },
          children: [
            { queue: QUEUES.steps, name: 'leaf', jobId: 'r.leaf', data: { label: 'leaf' } },
          ],
        },
      ],
    });
    const root = await settled(queue, 'r.root');
    expect(order).toEqual(['leaf', 'mid', 'root']);
    expect(root.returnvalue).toEqual({
      label: 'root',
      below: [{ label: 'mid', below: [{ label: 'leaf', below: [] }] }],
    });
    const leaf = (await queue.getJob('r.leaf'))!;
    expect(leaf.opts).toMatchObject({
      attempts: QUEUE_POLICIES[QUEUES.steps].attempts,
      backoff: { type: 'asahi' },
      failParentOnFailure: true,
    });
  });

  it('a child that fails for good fails its parents instead of leaving them waiting', async () => {
    const ran: string[] = [];
    const { queue, flows } = await setup(async ({ label }) => {
      ran.push(label);
      if (label === 'leaf') throw new AppError('invalid_request', 'bad step');
      return label;
    });
    await addFlow<Payload>(flows, {
      queue: QUEUES.steps,
      name: 'root',
      jobId: 'f.root',
      data: { label: 'root' },
      children: [
        {
          queue: QUEUES.steps,
          name: 'mid',
          jobId: 'f.mid',
          data: { label: 'mid' },
          children: [
            { queue: QUEUES.steps, name: 'leaf', jobId: 'f.leaf', data: { label: 'leaf' } },
          ],
        },
      ],
    });
    expect(await (await settled(queue, 'f.leaf')).getState()).toBe('failed');
    expect(await (await settled(queue, 'f.mid')).getState()).toBe('failed');
    expect(await (await settled(queue, 'f.root')).getState()).toBe('failed');
    expect(ran).toEqual(['leaf']); // neither parent ever ran
  });
});
