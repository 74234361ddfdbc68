import { z } from 'zod';
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
