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

export const cacheControlSchema = z.object({
  mode: z.enum(['read-write', 'read-only', 'write-only', 'off']).default('read-write'),
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
