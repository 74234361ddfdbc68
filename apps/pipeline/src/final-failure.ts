import { parseWith, requestMessageSchema, type RequestMessage } from '@asahi/contracts';
import { isAppError } from '@asahi/errors';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import type { Job, Queue, Worker } from '@asahi/queue';
import { buildResult } from '@asahi/stages';
import type { ResultPublisher } from './result-publisher';

/**
 * Safety net: a job that BullMQ gives up on (last attempt threw, stalled too often, bad payload)
 * still produces a terminal failed result, so no accepted request is left without an answer.
 */
export function publishOnFinalFailure(
  worker: Worker,
  publisher: ResultPublisher,
  logger: Logger,
  dead?: { deadQueue: Queue<unknown>; metrics: LlmMetrics },
) {
  worker.on('failed', (job: Job | undefined, err: Error) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts || err.name === 'UnrecoverableError';
    if (!final) return;
    // The dead-letter queue keeps the job (payload, error, attempts) for inspection and replay.
    if (dead)
      deadLetter(dead, logger, {
        queue: worker.name,
        jobId: job.id ?? 'unknown',
        data: job.data,
        error: err,
        attemptsMade: job.attemptsMade,
      });
    const parsed = parseWith(requestMessageSchema, (job.data as { request?: unknown }).request);
    if (!parsed.ok) {
      logger.error(
        { jobId: job.id, reason: parsed.reason },
        'failed job has no valid request; cannot publish a result',
      );
      return;
    }
    const request: RequestMessage = parsed.value;
    const code = isAppError(err) ? err.code : 'internal';
    const result = buildResult(request, {
      status: 'failed',
      completedAt: Date.now(),
      model: request.body.model,
      provider: 'none',
      attempts: job.attemptsMade,
      timings: {},
      error: { code, message: err.message.slice(0, 500), retryable: false },
    });
    publisher
      .publish(result, [])
      .catch((e: unknown) =>
        logger.error({ err: e, jobId: job.id }, 'could not publish final failure'),
      );
  });
}

/** Adds a job that failed for good to the dead-letter queue (kept for inspection and replay). */
export function deadLetter(
  dead: { deadQueue: Queue<unknown>; metrics: LlmMetrics },
  logger: Logger,
  entry: { queue: string; jobId: string; data: unknown; error: Error; attemptsMade: number },
): void {
  const reason = isAppError(entry.error) ? entry.error.code : 'internal';
  dead.metrics.deadLetters.inc({ source: entry.queue, reason });
  dead.deadQueue
    .add(
      'dead',
      {
        queue: entry.queue,
        jobId: entry.jobId,
        data: entry.data,
        error: `${reason}: ${entry.error.message}`.slice(0, 2_000),
        attemptsMade: entry.attemptsMade,
        failedAt: new Date().toISOString(),
      },
      { jobId: `${entry.jobId}.dead` },
    )
    .catch((e: unknown) =>
      logger.error({ err: e, jobId: entry.jobId }, 'could not dead-letter job'),
    );
}
