import type { Admin, Kafka } from 'kafkajs';
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
    // Not waitForLeaders: kafkajs's own wait bails on "This server does not host this
    // topic-partition", which a fresh KRaft broker answers for a moment after creation.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: options.partitions ?? 6,
        replicationFactor: options.replicationFactor ?? 1,
      })),
    });
    await waitForMetadata(admin, missing);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until metadata shows a leader for every partition of the new topics, retrying through
 * the errors a broker answers while it is still loading them (unknown topic-partition, no leader).
 */
async function waitForMetadata(admin: Admin, topics: string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const ready =
        found.length === topics.length &&
        found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`topics have no leaders after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
