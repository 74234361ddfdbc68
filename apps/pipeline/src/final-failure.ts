import { parseWith, requestMessageSchema, type RequestMessage } from '@asahi/contracts';
import { isAppError } from '@asahi/errors';
import type { Logger } from '@asahi/logger';
import type { Job, Worker } from '@asahi/queue';
import { buildResult } from '@asahi/stages';
import type { ResultPublisher } from './result-publisher';

/**
 * Safety net: a job that BullMQ gives up on (last attempt threw, stalled too often, bad payload)
 * still produces a terminal failed result, so no accepted request is left without an answer.
 */
export function publishOnFinalFailure(worker: Worker, publisher: ResultPublisher, logger: Logger) {
  worker.on('failed', (job: Job | undefined, err: Error) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts || err.name === 'UnrecoverableError';
    if (!final) return;
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
