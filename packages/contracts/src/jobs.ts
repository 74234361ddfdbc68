import { z } from 'zod';
import { chatOutputSchema, usageSchema } from './chat';
import { requestMessageSchema, resultMessageSchema } from './messages';
import { dispatchPlanSchema } from './optimization';

/** Job payloads. Each queue's job id is the request id (or delivery id), which dedupes redelivery. */
export const prepareJobSchema = z.object({
  request: requestMessageSchema,
  /** When the pipeline took it off Kafka (ms since epoch), for queue-wait metrics. */
  enqueuedAt: z.number().int(),
});
export type PrepareJob = z.infer<typeof prepareJobSchema>;

export const dispatchJobSchema = z.object({
  request: requestMessageSchema,
  cacheKey: z.string().nullable(),
  enqueuedAt: z.number().int(),
  timings: z.record(z.string(), z.number().nonnegative()),
  plan: dispatchPlanSchema.optional(),
  /**
   * 'auto' (absent): dispatch plans the execution (the Batch API when the deadline leaves room for it);
   * 'realtime': call now (flushed from batching, or a Batch API member coming back).
   */
  route: z.enum(['auto', 'realtime']).optional(),
  /** Set when a Batch API member comes back to the realtime path, and why. */
  fromBatch: z
    .object({
      batchId: z.string().min(1).max(128),
      reason: z.enum(['late', 'batch-item-failed', 'batch-missing']),
    })
    .optional(),
  /** Time this job has waited, in the queue, for provider/model rate limits so far. */
  rateLimitWaitMs: z.number().nonnegative().optional(),
});
export type DispatchJob = z.infer<typeof dispatchJobSchema>;

/**
 * Deadline-aware dispatch (queue `asahi-batches`). A 'tick' plans one batching group (provider,
 * model, endpoint, parameters) at its wake-up time; a 'batch' job drives one provider Batch API
 * job from the state in PostgreSQL (submit, poll, release late members, collect). Job ids:
 * `tick.<group>.<wakeAt>` and `batch.<batchId>`, so duplicates collapse.
 */
export const batchJobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tick'), group: z.string().min(1).max(256) }),
  z.object({ kind: z.literal('batch'), batchId: z.string().min(1).max(128) }),
]);
export type BatchJob = z.infer<typeof batchJobSchema>;

/**
 * Tier-3 step flow (queue `asahi-steps`). `request.steps` holds the steps being run (declared by
 * the client or decomposed by the pipeline). A `step` job's children are the steps it needs; the
 * root `assemble` job turns the step records into the request's one terminal result.
 * Job ids: `<requestId>.step.<stepId>` and `<requestId>.assemble`.
 */
export const stepJobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('step'),
    request: requestMessageSchema,
    stepId: z.string().min(1).max(64),
    enqueuedAt: z.number().int(),
  }),
  z.object({
    kind: z.literal('assemble'),
    request: requestMessageSchema,
    /** Exact-cache key to store the final answer under, or null (declared steps, cache off). */
    cacheKey: z.string().nullable(),
    enqueuedAt: z.number().int(),
    timings: z.record(z.string(), z.number().nonnegative()),
  }),
]);
export type StepJob = z.infer<typeof stepJobSchema>;

/** What one step produced, and what it cost in this request (0 when served from the step cache). */
export const stepRecordSchema = z.object({
  stepId: z.string(),
  output: chatOutputSchema,
  usage: usageSchema,
  model: z.string(),
  provider: z.string(),
  costUsd: z.number().nonnegative(),
  /** What the step cost when it was first computed (= costUsd unless cached). */
  originalCostUsd: z.number().nonnegative(),
  cached: z.boolean(),
  attempts: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

/** A step job's return value: its own record plus every record of the steps below it in the flow. */
export const stepJobReturnSchema = z.object({ records: z.record(z.string(), stepRecordSchema) });
export type StepJobReturn = z.infer<typeof stepJobReturnSchema>;

/** A webhook delivery carries the result as it was first persisted; its id is stable across retries. */
export const webhookJobSchema = z.object({
  deliveryId: z.string(),
  url: z.string().url(),
  result: resultMessageSchema,
});

/** The body POSTed to a tenant's callback URL. */
export const webhookEventSchema = z.object({
  id: z.string(),
  type: z.literal('job.completed'),
  createdAt: z.string(),
  data: resultMessageSchema,
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;
export type WebhookJob = z.infer<typeof webhookJobSchema>;
