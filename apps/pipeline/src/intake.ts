import type { PrepareJob, RequestMessage } from '@asahi/contracts';
import type { ConsumedMessage } from '@asahi/kafka';
import { enqueueBulk, type Queue } from '@asahi/queue';

/**
 * Kafka → BullMQ. Resolves only when every job exists in Redis, so the consumer commits the
 * offsets after it; job id = request id makes a redelivered message a no-op.
 */
export function createIntake(prepareQueue: Queue<PrepareJob>) {
  return async (items: ConsumedMessage<RequestMessage>[]) => {
    const enqueuedAt = Date.now();
    await enqueueBulk(
      prepareQueue,
      items.map((item) => ({
        jobId: item.value.requestId,
        data: { request: item.value, enqueuedAt },
        priority: priorityOf(item.value),
      })),
    );
  };
}

/** BullMQ priority: lower runs first. Sync callers are waiting; bulk can wait. */
export function priorityOf(request: Pick<RequestMessage, 'mode'>): number {
  return request.mode === 'sync' ? 1 : request.mode === 'async' ? 5 : 10;
}
