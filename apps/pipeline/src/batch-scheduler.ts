import type { BatchJob } from '@asahi/contracts';
import type { DispatchBatchRepository } from '@asahi/db';
import { enqueueBulk, type Queue } from '@asahi/queue';
import type { AccumulatedEntry, RedisAccumulator } from './adapters/redis-accumulator';
import { groupOf, groupToken } from './dispatch-enqueue';
import type { DispatchSettings } from './dispatch-settings';

/**
 * Scheduling for Batch API dispatch (queue `asahi-batches`): accumulate a request and make sure
 * a planning tick comes when its trigger fires; re-queue the driver job of unfinished batches.
 */
export interface BatchScheduler {
  /** Adds a request to its group and makes sure a tick comes when its trigger fires. */
  accumulate(entry: AccumulatedEntry): Promise<void>;
  scheduleTick(group: string, at: number): Promise<void>;
  /** Re-queues the driver job of every unfinished batch in PostgreSQL (at start, then every minute). */
  resume(): Promise<number>;
}

export function createBatchScheduler(deps: {
  batchQueue: Queue<BatchJob>;
  accumulator: RedisAccumulator;
  batches: DispatchBatchRepository;
  settings: DispatchSettings;
}): BatchScheduler {
  const scheduleTick = async (group: string, at: number) => {
    const when = Math.ceil(at / 100) * 100; // ticks within 100 ms collapse into one job
    await enqueueBulk(deps.batchQueue, [
      {
        jobId: `tick.${groupToken(group)}.${when}`,
        data: { kind: 'tick', group },
        delayMs: Math.max(0, when - Date.now()),
      },
    ]);
  };
  return {
    scheduleTick,
    async accumulate(entry) {
      const group = groupOf(entry.item);
      const size = await deps.accumulator.add(group, [entry]);
      const policy = deps.settings.batchPolicy;
      const latestStart =
        entry.item.deadlineAt - policy.expectedBatchTurnaroundMs - policy.marginMs;
      const full = size >= policy.minBatchApiSize;
      const at = full
        ? Date.now()
        : Math.min(entry.item.enqueuedAt + policy.batchApiMaxWaitMs, latestStart);
      await scheduleTick(group, at);
    },
    async resume() {
      const open = await deps.batches.unfinished();
      await enqueueBulk(
        deps.batchQueue,
        open.map((b) => ({
          jobId: `batch.${b.id}`,
          data: { kind: 'batch' as const, batchId: b.id },
        })),
      );
      return open.length;
    },
  };
}
