import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { parseJsonWith, type z } from '@asahi/contracts';
import type { Logger } from '@asahi/logger';
import { toDeadLetter } from './dead-letter';
import type { JsonProducer } from './producer';

export interface ConsumedMessage<T> {
  value: T;
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
}

export interface ValidatedConsumerOptions<S extends z.ZodType> {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  schema: S;
  logger: Logger;
  /** Where invalid messages go, with the reason. */
  deadLetters: JsonProducer;
  /** The (namespaced) dead-letter topic. */
  deadLetterTopic: string;
  /**
   * Handles the valid messages of one chunk. Offsets are committed only after it resolves; if it
   * throws (after in-process retries) the chunk stays uncommitted and is redelivered.
   */
  handleBatch(items: ConsumedMessage<z.infer<S>>[]): Promise<void>;
  onDeadLetter?: (reason: string) => void;
  fromBeginning?: boolean;
  /** Messages handed to handleBatch at once (default 500). */
  chunkSize?: number;
  /** In-process retries of a failing handleBatch before the consumer gives the chunk back. */
  handlerRetries?: number;
}

export interface RunningConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

/**
 * A consumer that never crashes on bad input and never drops a message: each message is either
 * handed to the handler (and committed after it succeeds) or dead-lettered with a reason first.
 */
export async function runValidatedConsumer<S extends z.ZodType>(
  options: ValidatedConsumerOptions<S>,
): Promise<RunningConsumer> {
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    retry: { retries: 10, initialRetryTime: 200 },
  });
  await consumer.connect();
  await consumer.subscribe({
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? true,
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: (payload) => processBatch(consumer, options, payload),
  });
  return {
    consumer,
    async stop() {
      await consumer.stop();
      await consumer.disconnect();
    },
  };
}

async function processBatch<S extends z.ZodType>(
  consumer: Consumer,
  options: ValidatedConsumerOptions<S>,
  payload: EachBatchPayload,
) {
  const { batch, heartbeat, resolveOffset, isRunning, isStale } = payload;
  const size = options.chunkSize ?? 500;
  for (let start = 0; start < batch.messages.length; start += size) {
    if (!isRunning() || isStale()) return;
    const chunk = batch.messages.slice(start, start + size);
    const { valid, invalid } = splitValid(options.schema, batch.topic, batch.partition, chunk);
    if (invalid.length > 0) await deadLetter(options, batch.topic, batch.partition, invalid);
    if (valid.length > 0) await handleWithRetries(options, valid, heartbeat);
    const last = chunk[chunk.length - 1]!;
    resolveOffset(last.offset);
    await consumer.commitOffsets([
      {
        topic: batch.topic,
        partition: batch.partition,
        offset: (BigInt(last.offset) + 1n).toString(),
      },
    ]);
    await heartbeat();
  }
}

function splitValid<S extends z.ZodType>(
  schema: S,
  topic: string,
  partition: number,
  messages: KafkaMessage[],
) {
  const valid: ConsumedMessage<z.infer<S>>[] = [];
  const invalid: { message: KafkaMessage; reason: string }[] = [];
  for (const message of messages) {
    const outcome = parseJsonWith(schema, message.value);
    if (outcome.ok) {
      valid.push({
        value: outcome.value,
        topic,
        partition,
        offset: message.offset,
        headers: headersToStrings(message.headers),
      });
    } else {
      invalid.push({ message, reason: outcome.reason });
    }
  }
  return { valid, invalid };
}

async function deadLetter<S extends z.ZodType>(
  options: ValidatedConsumerOptions<S>,
  topic: string,
  partition: number,
  invalid: { message: KafkaMessage; reason: string }[],
) {
  const now = new Date();
  const records = invalid.map(({ message, reason }) =>
    toDeadLetter({ topic, partition, consumerGroup: options.groupId }, message, reason, now),
  );
  // Awaited before the offset commit: a dead letter is never lost between the two.
  await options.deadLetters.send(
    options.deadLetterTopic,
    records.map((r) => ({ key: r.key ?? `${topic}-${partition}-${r.offset}`, value: r })),
  );
  for (const r of records) {
    options.logger.warn(
      { topic, partition, offset: r.offset, reason: r.reason },
      'message dead-lettered',
    );
    options.onDeadLetter?.(r.reason);
  }
}

async function handleWithRetries<S extends z.ZodType>(
  options: ValidatedConsumerOptions<S>,
  items: ConsumedMessage<z.infer<S>>[],
  heartbeat: () => Promise<void>,
) {
  const retries = options.handlerRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      await options.handleBatch(items);
      return;
    } catch (err) {
      if (attempt >= retries) throw err;
      const delay = Math.min(5_000, 100 * 2 ** attempt);
      options.logger.warn(
        { err, attempt, delay, count: items.length },
        'batch handler failed, retrying',
      );
      await new Promise((r) => setTimeout(r, delay));
      await heartbeat();
    }
  }
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? String(v[0]) : v.toString();
  }
  return out;
}
