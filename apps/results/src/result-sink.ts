import { resultChannel, type Names, type ResultMessage, type WebhookJob } from '@asahi/contracts';
import type { ConsumedMessage } from '@asahi/kafka';
import { enqueueBulk, type Queue, type Redis } from '@asahi/queue';

export interface ResultStore {
  /** Persists the result and the job's terminal state once; later copies change nothing. */
  saveTerminalResult(result: ResultMessage): Promise<{ firstTime: boolean }>;
}

export interface ResultSinkDeps {
  store: ResultStore;
  webhookQueue: Queue<WebhookJob>;
  redis: Redis;
  names: Names;
  onSaved?: (result: ResultMessage, firstTime: boolean) => void;
}

export function webhookDeliveryId(requestId: string): string {
  return `whk_${requestId}`;
}

/** The Redis channel a sync waiter in any ingest instance listens on for this request. */
export function resultChannelFor(names: Names, requestId: string): string {
  return `${names.queuePrefix}:${resultChannel(requestId)}`;
}

/**
 * Handles a chunk of results in an order that survives a crash at any point: enqueue the webhook
 * first (job id = delivery id, so a redelivery is a no-op), then persist, then wake sync waiters.
 * Only after all three does the consumer commit the offsets.
 */
export function createResultSink(deps: ResultSinkDeps) {
  return async (items: ConsumedMessage<ResultMessage>[]) => {
    const webhooks = items
      .filter((i) => i.value.callback)
      .map((i) => ({
        jobId: webhookDeliveryId(i.value.requestId),
        data: {
          deliveryId: webhookDeliveryId(i.value.requestId),
          url: i.value.callback!.url,
          result: i.value,
        },
      }));
    await enqueueBulk(deps.webhookQueue, webhooks);
    for (const { value } of items) {
      const { firstTime } = await deps.store.saveTerminalResult(value);
      deps.onSaved?.(value, firstTime);
    }
    const pipeline = deps.redis.pipeline();
    for (const { value } of items)
      pipeline.publish(
        resultChannelFor(deps.names, value.requestId),
        JSON.stringify({ requestId: value.requestId, status: value.status }),
      );
    await pipeline.exec();
  };
}
