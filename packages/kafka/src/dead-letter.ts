import type { KafkaMessage } from 'kafkajs';
import type { DeadLetter } from '@asahi/contracts';

/** Builds the dead-letter record for a message we could not accept: the raw bytes and the reason. */
export function toDeadLetter(
  source: { topic: string; partition: number; consumerGroup: string },
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>,
  reason: string,
  now: Date,
): DeadLetter {
  const { text, encoding } = encodeValue(message.value);
  return {
    schemaVersion: 1,
    sourceTopic: source.topic,
    partition: source.partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    value: text,
    valueEncoding: encoding,
    reason,
    consumerGroup: source.consumerGroup,
    at: now.toISOString(),
  };
}

function encodeValue(value: Buffer | null): { text: string | null; encoding: 'utf8' | 'base64' } {
  if (value === null) return { text: null, encoding: 'utf8' };
  const text = value.toString('utf8');
  // Round-trip check: invalid UTF-8 would be silently mangled, so keep such bytes as base64.
  return Buffer.from(text, 'utf8').equals(value)
    ? { text, encoding: 'utf8' }
    : { text: value.toString('base64'), encoding: 'base64' };
}
