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
});
export type DispatchJob = z.infer<typeof dispatchJobSchema>;

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
