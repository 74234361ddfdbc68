import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { QUEUE_POLICIES, parseWith, type QueueName, type z } from '@asahi/contracts';
import { AppError, isAppError, toAppError } from '@asahi/errors';
import type { Logger } from '@asahi/logger';
import type { Redis } from 'ioredis';
import { computeBackoffMs } from './backoff';

export interface JobContext {
  jobId: string;
  /** 1-based number of this attempt. */
  attempt: number;
  attemptsAllowed: number;
  isFinalAttempt: boolean;
  /** When the job was created (ms since epoch) and when this attempt started. */
  createdAt: number;
  startedAt: number;
  /** Return values of this job's flow children, keyed by child job key (empty outside flows). */
  childrenValues(): Promise<Record<string, unknown>>;
  /**
   * Puts the job back in the queue, delayed until `at` (epoch ms), without using an attempt:
   * waiting (for a rate limit, a breaker, a batch) happens in Redis, not in this process.
   * `patch` is merged into the job's data first. Never returns: call it as `return ctx.delayUntil(…)`.
   */
  delayUntil(at: number, patch?: Record<string, unknown>): Promise<never>;
}

export interface WorkerOptions<S extends z.ZodType, R> {
  name: QueueName;
  schema: S;
  connection: Redis;
  prefix?: string;
  logger: Logger;
  concurrency?: number;
  /** The use case. Throw an AppError; non-retryable codes end the job at once. */
  handle(data: z.infer<S>, ctx: JobContext): Promise<R>;
}

/**
 * The thin adapter between BullMQ and a use case: parse the payload with its contract schema,
 * call the handler, translate error semantics (retryable or not, retry-after) into BullMQ's.
 */
export function createWorker<S extends z.ZodType, R>(options: WorkerOptions<S, R>): Worker {
  const policy = QUEUE_POLICIES[options.name];
  return new Worker(
    options.name,
    async (job: Job, token?: string) => {
      const parsed = parseWith(options.schema, job.data);
      if (!parsed.ok) throw new UnrecoverableError(`invalid job payload: ${parsed.reason}`);
      const attemptsAllowed = job.opts.attempts ?? policy.attempts;
      const ctx: JobContext = {
        jobId: job.id ?? '',
        attempt: job.attemptsMade + 1,
        attemptsAllowed,
        isFinalAttempt: job.attemptsMade + 1 >= attemptsAllowed,
        createdAt: job.timestamp,
        startedAt: Date.now(),
        childrenValues: () => job.getChildrenValues(),
        delayUntil: async (at, patch) => {
          if (patch) await job.updateData({ ...(job.data as object), ...patch });
          await job.moveToDelayed(Math.max(at, Date.now() + 1), token);
          throw new DelayedError();
        },
      };
      try {
        return await options.handle(parsed.value, ctx);
      } catch (err) {
        if (err instanceof DelayedError) throw err; // moved back to the queue, not a failure
        // An error that is not an AppError is an unknown fault (a dropped connection, a driver
        // error): retry it within the job's attempts rather than fail the request at once.
        const appError = isAppError(err)
          ? err
          : new AppError('internal', toAppError(err).message, { retryable: true, cause: err });
        if (!appError.retryable)
          throw new UnrecoverableError(`${appError.code}: ${appError.message}`);
        throw appError;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix ?? 'asahi',
      concurrency: options.concurrency ?? policy.concurrency,
      // A crashed worker's jobs come back after ~lockDuration + stalledInterval (15 s, not the
      // default 60 s). A live worker renews its locks every lockDuration / 2.
      lockDuration: 10_000,
      stalledInterval: 5_000,
      maxStalledCount: 2,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
          computeBackoffMs(attemptsMade, policy.backoffMs, {
            retryAfterMs: err instanceof AppError ? err.retryAfterMs : undefined,
          }),
      },
    },
  );
}
