import type { JsonProducer, OutgoingMessage } from './producer';

export interface BatchingSenderOptions {
  topic: string;
  /** Most messages in one produce request. */
  maxBatch?: number;
  /** How long the first message of a batch may wait for company (ms). */
  lingerMs?: number;
}

export interface BatchingSender {
  /** Resolves when this message is acknowledged by Kafka (acks=all), rejects if its batch failed. */
  send(message: OutgoingMessage): Promise<void>;
  /** Sends what is pending and waits for it. */
  flush(): Promise<void>;
}

interface Pending {
  message: OutgoingMessage;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Groups concurrent single-message sends into one produce request. The idempotent producer
 * allows only 5 requests in flight, so one request per HTTP call would cap ingest at 5 per
 * broker round trip; a short linger multiplies that by the batch size.
 */
export function createBatchingSender(
  producer: JsonProducer,
  options: BatchingSenderOptions,
): BatchingSender {
  const maxBatch = options.maxBatch ?? 500;
  const lingerMs = options.lingerMs ?? 2;
  let pending: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  const drain = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const p = producer
      .send(
        options.topic,
        batch.map((b) => b.message),
      )
      .then(() => batch.forEach((b) => b.resolve()))
      .catch((err: unknown) => batch.forEach((b) => b.reject(err)))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  return {
    send(message) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ message, resolve, reject });
        if (pending.length >= maxBatch) drain();
        else timer ??= setTimeout(drain, lingerMs);
      });
    },
    async flush() {
      drain();
      await Promise.all([...inFlight]);
    },
  };
}
