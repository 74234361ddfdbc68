import { Queue, type JobsOptions } from 'bullmq';
import { QUEUE_POLICIES, type QueueName } from '@asahi/contracts';
import type { Redis } from 'ioredis';

export interface QueueOptions {
  connection: Redis;
  /** Redis key prefix; tests pass a unique one so runs never share queues. */
  prefix?: string;
}

/** A queue whose default job options come from the one policy table in contracts. */
export function createQueue<T>(name: QueueName, options: QueueOptions): Queue<T> {
  const policy = QUEUE_POLICIES[name];
  const defaultJobOptions: JobsOptions = {
    attempts: policy.attempts,
    backoff: { type: 'asahi' },
    removeOnComplete: { count: policy.keepCompleted },
    removeOnFail: { count: policy.keepFailed },
  };
  return new Queue<T>(name, {
    connection: options.connection,
    prefix: options.prefix ?? 'asahi',
    defaultJobOptions,
  });
}

export interface EnqueueItem<T> {
  /** Job id = request id (or delivery id): BullMQ ignores a second add with the same id. */
  jobId: string;
  data: T;
  priority?: number;
  delayMs?: number;
}

/** Adds many jobs in one round trip. Existing job ids are left as they are (dedupe on redelivery). */
export async function enqueueBulk<T>(queue: Queue<T>, items: EnqueueItem<T>[]): Promise<void> {
  if (items.length === 0) return;
  await queue.addBulk(
    items.map((item) => ({
      name: queue.name,
      data: item.data,
      opts: {
        jobId: item.jobId,
        ...(item.priority ? { priority: item.priority } : {}),
        ...(item.delayMs ? { delay: item.delayMs } : {}),
      },
    })) as Parameters<Queue<T>['addBulk']>[0],
  );
}
