import { parseWith, requestMessageSchema, type RequestMessage } from '@asahi/contracts';
import type { Logger } from '@asahi/logger';

export interface StuckJob {
  id: string;
  request: unknown;
}

export interface ReconcilerPorts {
  findStuck(olderThan: Date, limit: number): Promise<StuckJob[]>;
  /** Re-produces requests to the requests topic (the pipeline dedupes on the request id). */
  redrive(requests: RequestMessage[]): Promise<void>;
  touch(ids: string[]): Promise<void>;
  now(): number;
  logger: Logger;
}

/**
 * One reconciliation pass: jobs Postgres still holds as queued or running long after their last
 * update are produced to Kafka again. If their BullMQ job still exists that is a no-op (job id =
 * request id); if Redis lost it (a wipe, a failed hand-off) the request runs again, so nothing
 * that Postgres accepted is lost. Returns how many jobs were re-driven.
 */
export async function reconcileOnce(
  ports: ReconcilerPorts,
  staleAfterMs: number,
  limit = 500,
): Promise<number> {
  const stuck = await ports.findStuck(new Date(ports.now() - staleAfterMs), limit);
  if (stuck.length === 0) return 0;
  const requests: RequestMessage[] = [];
  for (const job of stuck) {
    const parsed = parseWith(requestMessageSchema, job.request);
    if (parsed.ok) requests.push(parsed.value);
    else
      ports.logger.error(
        { jobId: job.id, reason: parsed.reason },
        'stuck job has no valid request; cannot re-drive',
      );
  }
  await ports.redrive(requests);
  await ports.touch(stuck.map((j) => j.id));
  ports.logger.warn({ count: requests.length }, 're-drove stuck jobs');
  return requests.length;
}

/** Runs reconcileOnce every intervalMs until stopped; a failed pass is logged and retried later. */
export function startReconciler(
  ports: ReconcilerPorts,
  options: { intervalMs: number; staleAfterMs: number },
) {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = reconcileOnce(ports, options.staleAfterMs).catch((err: unknown) =>
      ports.logger.warn({ err }, 'reconcile pass failed'),
    );
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
