import { z } from 'zod';
import { chatOutputSchema, chatRequestSchema, usageSchema } from './chat';
import {
  enrichmentRequestSchema,
  optimizationModeSchema,
  routingDecisionSchema,
  routingRequestSchema,
  savingsSchema,
  stepsRequestSchema,
  tokenReportSchema,
} from './optimization';

const isoDate = z.string().datetime({ offset: true });
const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be a token of [A-Za-z0-9._:-]');

export const requestModeSchema = z.enum(['sync', 'async', 'bulk']);
export type RequestMode = z.infer<typeof requestModeSchema>;

/**
 * Dispatch priority class. Sync callers hold an open HTTP request ('interactive'); async callers
 * wait for a webhook ('standard'); bulk uploads ('background'). Defaults from the mode.
 */
export const priorityClassSchema = z.enum(['interactive', 'standard', 'background']);
export type PriorityClass = z.infer<typeof priorityClassSchema>;

/**
 * How a request was (or is to be) run, cheapest first: one provider Batch API job (about half
 * price, hours of turnaround), one array call (embeddings), or one ordinary realtime call.
 */
export const executionModeSchema = z.enum(['batch-api', 'array', 'realtime']);
export type ExecutionMode = z.infer<typeof executionModeSchema>;

/** What dispatch did for a request: execution, waits, and any fallback, with its reason. */
export const dispatchReportSchema = z.object({
  execution: executionModeSchema,
  /** The Asahi batch id when the request went (or was meant to go) through the Batch API. */
  batchId: z.string().max(128).optional(),
  /**
   * Why a Batch API member ended up realtime: 'late' (the batch ran past its deadline),
   * 'batch-item-failed', 'batch-missing' (expired or cancelled before it ran).
   */
  releasedFromBatch: z.enum(['late', 'batch-item-failed', 'batch-missing']).optional(),
  /** Time spent waiting for provider/model rate limits, in the queue. */
  rateLimitWaitMs: z.number().nonnegative().optional(),
  /** Set when the answer came from another model than the one planned. */
  fallback: z
    .object({
      from: z.string(),
      to: z.string(),
      reason: z.enum(['circuit-open', 'provider-error', 'rate-limited']),
    })
    .optional(),
});
export type DispatchReport = z.infer<typeof dispatchReportSchema>;

/**
 * A request's cache control. It can only narrow what its tenant's policy allows (see `decideCache`
 * in @asahi/stages), so nothing here has a default: an absent field leaves the tenant's choice.
 */
export const cacheControlSchema = z.object({
  mode: z.enum(['read-write', 'read-only', 'write-only', 'off']).optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .optional(),
  /** Semantic (tier 2) reuse; default on for eligible single-turn deterministic requests. */
  semantic: z.boolean().optional(),
  /** Declares a multi-turn or sampled (temperature > 0) request safe to reuse. */
  cacheable: z.boolean().optional(),
});
export type CacheControl = z.infer<typeof cacheControlSchema>;

/** asahi.requests.v1 — one accepted request. */
export const requestMessageSchema = z.object({
  schemaVersion: z.literal(1),
  requestId: id,
  tenantId: id,
  mode: requestModeSchema,
  acceptedAt: isoDate,
  deadlineAt: isoDate,
  /** Absent: from the mode (sync → interactive, async → standard, bulk → background). */
  priority: priorityClassSchema.optional(),
  body: chatRequestSchema,
  callback: z.object({ url: z.string().url() }).optional(),
  cache: cacheControlSchema.optional(),
  metadata: z.record(z.string(), z.string().max(512)).optional(),
  traceparent: z.string().max(256).optional(),
  routing: routingRequestSchema.optional(),
  optimization: optimizationModeSchema.optional(),
  enrichment: enrichmentRequestSchema.optional(),
  steps: stepsRequestSchema.optional(),
});
export type RequestMessage = z.infer<typeof requestMessageSchema>;

export const terminalStatusSchema = z.enum(['succeeded', 'failed', 'cancelled', 'expired']);
export type TerminalStatus = z.infer<typeof terminalStatusSchema>;

export const resultErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
});
export type ResultError = z.infer<typeof resultErrorSchema>;

export const cacheTierSchema = z.enum(['none', 'exact', 'canonical', 'semantic', 'intermediate']);
export type CacheTier = z.infer<typeof cacheTierSchema>;

/** asahi.results.v1 — exactly one per accepted request reaches a consumer as terminal. */
export const resultMessageSchema = z.object({
  schemaVersion: z.literal(1),
  requestId: id,
  tenantId: id,
  mode: requestModeSchema,
  status: terminalStatusSchema,
  acceptedAt: isoDate,
  deadlineAt: isoDate,
  completedAt: isoDate,
  model: z.string(),
  provider: z.string(),
  output: chatOutputSchema.optional(),
  usage: usageSchema,
  costUsd: z.number().nonnegative(),
  baselineCostUsd: z.number().nonnegative(),
  cacheTier: cacheTierSchema,
  attempts: z.number().int().nonnegative(),
  /** Milliseconds spent per stage (queue waits included as `<queue>.wait`). */
  timings: z.record(z.string(), z.number().nonnegative()),
  callback: z.object({ url: z.string().url() }).optional(),
  error: resultErrorSchema.optional(),
  traceparent: z.string().max(256).optional(),
  routing: routingDecisionSchema.optional(),
  tokens: tokenReportSchema.optional(),
  savings: savingsSchema.optional(),
  dispatch: dispatchReportSchema.optional(),
});
export type ResultMessage = z.infer<typeof resultMessageSchema>;

export const auditTypeSchema = z.enum([
  'request.accepted',
  'cache.hit',
  'cache.miss',
  'provider.call',
  'request.completed',
  'message.dead_lettered',
]);

/** asahi.audit.v1 — what happened to a request, for the audit trail and analytics. */
export const auditEventSchema = z.object({
  schemaVersion: z.literal(1),
  eventId: id,
  requestId: id,
  tenantId: id,
  type: auditTypeSchema,
  at: isoDate,
  data: z.record(z.string(), z.unknown()).default({}),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** asahi.deadletter.v1 — a message a consumer could not accept, kept verbatim with the reason. */
export const deadLetterSchema = z.object({
  schemaVersion: z.literal(1),
  sourceTopic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  /** The raw value as UTF-8 (or base64 when not valid UTF-8). */
  value: z.string().nullable(),
  valueEncoding: z.enum(['utf8', 'base64']),
  reason: z.string(),
  consumerGroup: z.string(),
  at: isoDate,
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;
