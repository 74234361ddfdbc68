/**
 * Topic and queue names, declared once. DO NOT RENAME: they are wire contracts shared with running
 * deployments. A breaking payload change gets a new `.v2` name instead.
 */
export const TOPICS = {
  requests: 'asahi.requests.v1',
  results: 'asahi.results.v1',
  audit: 'asahi.audit.v1',
  deadLetter: 'asahi.deadletter.v1',
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export const QUEUES = {
  prepare: 'asahi-prepare',
  dispatch: 'asahi-dispatch',
  webhook: 'asahi-webhook',
  /** Tier-3 intermediate results: one job per step of a multi-step request, plus its assembly. */
  steps: 'asahi-steps',
  /** Deadline-aware dispatch: Batch API jobs (submit, poll, collect) and batching ticks. */
  batches: 'asahi-batches',
  /** Dead letters: dispatch jobs that failed their last attempt, kept for inspection and replay. */
  dispatchDead: 'asahi-dispatch-dead',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const CONSUMER_GROUPS = {
  pipeline: 'asahi-pipeline',
  results: 'asahi-results',
  analytics: 'asahi-analytics',
} as const;

/** Kafka header names carried on every message. */
export const HEADERS = {
  requestId: 'x-request-id',
  tenantId: 'x-tenant-id',
  schemaVersion: 'x-schema-version',
  traceparent: 'traceparent',
} as const;

/** Redis pub/sub channel a result is announced on, for sync waiters in any API instance. */
export function resultChannel(requestId: string): string {
  return `asahi:result:${requestId}`;
}

export interface Names {
  topics: typeof TOPICS;
  groups: typeof CONSUMER_GROUPS;
  /** BullMQ key prefix. */
  queuePrefix: string;
}

/**
 * Topic, group and queue-prefix names under a namespace. Production uses the empty namespace;
 * tests and benchmarks run whole stacks side by side under their own namespace.
 */
export function namesFor(namespace = ''): Names {
  const ns = namespace ? `${namespace}.` : '';
  const map = <T extends Record<string, string>>(o: T) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, `${ns}${v}`])) as T;
  return {
    topics: map(TOPICS),
    groups: map(CONSUMER_GROUPS),
    queuePrefix: namespace ? `asahi-${namespace}` : 'asahi',
  };
}
