import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { HEADERS } from '@asahi/contracts';
import { AppError } from '@asahi/errors';

export interface OutgoingMessage {
  /** Partition key: the request id keeps one request's messages in order. */
  key: string;
  value: unknown;
  headers?: Record<string, string | undefined>;
}

export interface JsonProducer {
  /** Resolves only after every message is acknowledged by all in-sync replicas. */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
  readonly raw: Producer;
}

/** Idempotent producer with acks=all; values are JSON. */
export async function createJsonProducer(kafka: Kafka): Promise<JsonProducer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return {
    raw: producer,
    async send(topic, messages) {
      if (messages.length === 0) return;
      const record = {
        topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: messages.map((m) => ({
          key: m.key,
          value: JSON.stringify(m.value),
          headers: toHeaders(m.headers),
        })),
      };
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send(record);
          return;
        } catch (err) {
          // Right after a topic is created, or during a leader election, a broker may answer
          // "does not host this topic-partition": nothing was written, so sending again is safe.
          if (attempt < 5 && NOT_WRITTEN.has(errorType(err))) {
            await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
            continue;
          }
          throw new AppError(
            'unavailable',
            `Kafka write to ${topic} failed: ${(err as Error).message}`,
            { cause: err },
          );
        }
      }
    },
    disconnect: () => producer.disconnect(),
  };
}

function toHeaders(headers: Record<string, string | undefined> | undefined): IHeaders | undefined {
  if (!headers) return undefined;
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v;
  return out;
}

/** The standard headers for a message about one request. */
export function requestHeaders(m: {
  requestId: string;
  tenantId: string;
  schemaVersion: number;
  traceparent?: string | undefined;
}) {
  return {
    [HEADERS.requestId]: m.requestId,
    [HEADERS.tenantId]: m.tenantId,
    [HEADERS.schemaVersion]: String(m.schemaVersion),
    [HEADERS.traceparent]: m.traceparent,
  };
}

/** Broker errors that mean the record was not appended (safe to send again). */
const NOT_WRITTEN: ReadonlySet<string> = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
]);

function errorType(err: unknown): string {
  const e = err as { type?: string; cause?: { type?: string }; originalError?: { type?: string } };
  return e?.type ?? e?.originalError?.type ?? e?.cause?.type ?? '';
}
