export { createKafka } from './client';
export type { KafkaClientOptions } from './client';
export { ensureTopics } from './topics';
export { createJsonProducer, requestHeaders } from './producer';
export type { JsonProducer, OutgoingMessage } from './producer';
export { runValidatedConsumer } from './validated-consumer';
export type {
  ConsumedMessage,
  RunningConsumer,
  ValidatedConsumerOptions,
} from './validated-consumer';
export { toDeadLetter } from './dead-letter';
export type { Kafka } from 'kafkajs';
export { createBatchingSender } from './batching-sender';
export type { BatchingSender, BatchingSenderOptions } from './batching-sender';
