import type { Kafka } from 'kafkajs';
import { TOPICS } from '@asahi/contracts';

export interface EnsureTopicsOptions {
  partitions?: number;
  replicationFactor?: number;
}

/** Creates missing topics (idempotent). Every process calls it at start so none waits on another. */
export async function ensureTopics(
  kafka: Kafka,
  topics: string[] = Object.values(TOPICS),
  options: EnsureTopicsOptions = {},
) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: options.partitions ?? 6,
        replicationFactor: options.replicationFactor ?? 1,
      })),
    });
  } finally {
    await admin.disconnect();
  }
}
