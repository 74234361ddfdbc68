import { QUEUES, type QueueName } from './names';

export interface QueuePolicy {
  /** Attempts before the job fails for good (its request then gets a terminal failed result). */
  attempts: number;
  /** First backoff delay; doubles per attempt with jitter. */
  backoffMs: number;
  /** Worker concurrency per process. */
  concurrency: number;
  /** Longest one attempt may take before it is treated as a provider timeout. */
  timeoutMs: number;
  /** Completed/failed jobs kept for Bull Board and debugging. */
  keepCompleted: number;
  keepFailed: number;
}

/** One table holds every pool's retry and concurrency settings. */
export const QUEUE_POLICIES: Record<QueueName, QueuePolicy> = {
  [QUEUES.prepare]: {
    attempts: 3,
    backoffMs: 200,
    concurrency: 32,
    timeoutMs: 5_000,
    keepCompleted: 1_000,
    keepFailed: 5_000,
  },
  [QUEUES.dispatch]: {
    attempts: 5,
    backoffMs: 250,
    concurrency: 64,
    timeoutMs: 60_000,
    keepCompleted: 1_000,
    keepFailed: 5_000,
  },
  [QUEUES.webhook]: {
    attempts: 8,
    backoffMs: 1_000,
    concurrency: 16,
    timeoutMs: 10_000,
    keepCompleted: 1_000,
    keepFailed: 10_000,
  },
  // A step is one provider call, so it retries like dispatch.
  [QUEUES.steps]: {
    attempts: 5,
    backoffMs: 250,
    concurrency: 32,
    timeoutMs: 60_000,
    keepCompleted: 1_000,
    keepFailed: 5_000,
  },
  // One job per Batch API job or batching tick; cheap, mostly waiting (delayed) in the queue.
  [QUEUES.batches]: {
    attempts: 20,
    backoffMs: 1_000,
    concurrency: 8,
    timeoutMs: 120_000,
    keepCompleted: 1_000,
    keepFailed: 5_000,
  },
  // Nothing works these: they are kept for inspection (Bull Board) and replay.
  [QUEUES.dispatchDead]: {
    attempts: 1,
    backoffMs: 1_000,
    concurrency: 1,
    timeoutMs: 10_000,
    keepCompleted: 10_000,
    keepFailed: 10_000,
  },
};
