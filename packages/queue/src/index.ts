export { createRedisConnection } from './connection';
export type { Redis } from './connection';
export { createQueue, enqueueBulk } from './queue';
export type { EnqueueItem, QueueOptions } from './queue';
export { createWorker } from './worker';
export type { JobContext, WorkerOptions } from './worker';
export { computeBackoffMs } from './backoff';
export type { Queue, Worker, Job } from 'bullmq';
