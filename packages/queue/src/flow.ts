import { FlowProducer, type FlowChildJob, type FlowJob } from 'bullmq';
import { QUEUE_POLICIES, type QueueName } from '@asahi/contracts';
import type { Redis } from 'ioredis';

/** One job of a flow. Its children run (and must complete) before it. */
export interface FlowNode<T> {
  queue: QueueName;
  /** BullMQ job name (what Bull Board shows); the payload's own fields say what it is. */
  name: string;
  /** Stable id: BullMQ ignores a second add with the same id. */
  jobId: string;
  data: T;
  priority?: number;
  children?: FlowNode<T>[];
}

/** A flow producer on its own connection and the apps' key prefix (default `asahi`). */
export function createFlowProducer(connection: Redis, prefix = 'asahi'): FlowProducer {
  return new FlowProducer({ connection, prefix });
}

/**
 * Adds a tree of jobs in one atomic call. Every job gets its queue's policy (attempts, backoff,
 * retention) as `createQueue` would give it: a flow producer does not read queue defaults.
 * A child that fails for good fails its parent (and so the whole chain up to the root), so no
 * parent is left waiting for children forever.
 */
export async function addFlow<T>(producer: FlowProducer, root: FlowNode<T>): Promise<void> {
  await producer.add(toFlowJob(root, false) as FlowJob);
}

function toFlowJob<T>(node: FlowNode<T>, isChild: boolean): FlowChildJob {
  const policy = QUEUE_POLICIES[node.queue];
  return {
    name: node.name,
    queueName: node.queue,
    data: node.data,
    opts: {
      jobId: node.jobId,
      attempts: policy.attempts,
      backoff: { type: 'asahi' },
      removeOnComplete: { count: policy.keepCompleted },
      removeOnFail: { count: policy.keepFailed },
      ...(node.priority ? { priority: node.priority } : {}),
      ...(isChild ? { failParentOnFailure: true } : {}),
    },
    ...(node.children?.length ? { children: node.children.map((c) => toFlowJob(c, true)) } : {}),
  };
}
