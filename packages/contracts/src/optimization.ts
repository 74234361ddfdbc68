import { z } from 'zod';

/**
 * Request and result fields of the cost-optimization stages (routing, token optimization,
 * enrichment, semantic and intermediate caching). All optional and additive to v1.
 */

export const taskTypeSchema = z.enum([
  'summarization',
  'extraction',
  'classification',
  'translation',
  'qa',
  'code',
  'reasoning',
  'chat',
]);
export type TaskType = z.infer<typeof taskTypeSchema>;
export const TASK_TYPES = taskTypeSchema.options;

/** How the model is chosen. EXPLICIT (the default) runs `body.model`; an unknown model is a 400. */
export const routingModeSchema = z.enum(['autopilot', 'guided', 'explicit']);
export type RoutingMode = z.infer<typeof routingModeSchema>;

const weight = z.number().min(0).max(1);
export const routingRequestSchema = z.object({
  mode: routingModeSchema.optional(),
  /** Minimum quality (0..1) for the detected task; defaults to the tenant's floor. */
  qualityFloor: z.number().min(0).max(1).optional(),
  /** GUIDED: relative weights of quality, latency and cost (normalised by the router). */
  prefer: z.object({ quality: weight, latency: weight, cost: weight }).partial().optional(),
  /** Overrides the detected task type. */
  taskType: taskTypeSchema.optional(),
});
export type RoutingRequest = z.infer<typeof routingRequestSchema>;

/** off: send as written; safe: lossless/low-risk strategies; aggressive: also medium/high risk. */
export const optimizationModeSchema = z.enum(['off', 'safe', 'aggressive']);
export type OptimizationMode = z.infer<typeof optimizationModeSchema>;

/** Prompt enrichment: render a tenant template with feature-store values of the named entities. */
export const enrichmentRequestSchema = z.object({
  templateId: z.string().min(1).max(128),
  /** entityType → entity id, e.g. { user: "u-42", organization: "acme" }. */
  entities: z.record(z.string().min(1).max(64), z.string().min(1).max(256)).default({}),
  variables: z.record(z.string().max(64), z.string().max(100_000)).default({}),
});
export type EnrichmentRequest = z.infer<typeof enrichmentRequestSchema>;

/** One step of a declared multi-step request (a small DAG run as a BullMQ flow). */
export const stepSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
  /** Prompt template; `{{input}}` is the request input, `{{steps.<id>}}` a dependency's output. */
  template: z.string().min(1).max(100_000),
  dependsOn: z.array(z.string().min(1).max(64)).max(16).default([]),
  model: z.string().min(1).max(128).optional(),
  max_tokens: z.number().int().min(1).max(128_000).optional(),
});
export type Step = z.infer<typeof stepSchema>;

export const stepsRequestSchema = z.object({
  input: z.string().max(1_000_000),
  steps: z.array(stepSchema).min(1).max(16),
  /** The step whose output is the request's answer; defaults to the last step. */
  output: z.string().min(1).max(64).optional(),
});
export type StepsRequest = z.infer<typeof stepsRequestSchema>;

/** Why a model was chosen, recorded on the result. */
export const routingDecisionSchema = z.object({
  mode: routingModeSchema,
  taskType: taskTypeSchema,
  requestedModel: z.string(),
  model: z.string(),
  reason: z.string(),
});
export type RoutingDecision = z.infer<typeof routingDecisionSchema>;

/** Token counts before and after optimization, and which strategies changed the prompt. */
export const tokenReportSchema = z.object({
  original: z.number().int().nonnegative(),
  optimized: z.number().int().nonnegative(),
  strategies: z.array(z.string()).default([]),
});
export type TokenReport = z.infer<typeof tokenReportSchema>;

/** USD saved by each stage against the baseline (realtime, unoptimized, tenant's default model). */
export const savingsSchema = z.object({
  cache: z.number().nonnegative().default(0),
  intermediate: z.number().nonnegative().default(0),
  routing: z.number().default(0),
  tokens: z.number().default(0),
  batch: z.number().nonnegative().default(0),
});
export type Savings = z.infer<typeof savingsSchema>;
export const SAVING_STAGES = ['cache', 'intermediate', 'routing', 'tokens', 'batch'] as const;

/** How costly a wrong cached answer is for a tenant: the semantic cache is stricter when higher. */
export const wrongAnswerCostSchema = z.enum(['low', 'medium', 'high']);
export type WrongAnswerCost = z.infer<typeof wrongAnswerCostSchema>;

/**
 * A tenant's token-optimization policy (`policy.optimization`). The bare-mode form (`"safe"`)
 * means `{ mode: "safe" }` with no ceiling.
 */
export const tenantOptimizationSchema = z.object({
  /** Mode of requests that name none (default `safe`). */
  mode: optimizationModeSchema.optional(),
  /**
   * The most a request may ask for: a request's mode above it is lowered to it (`off` < `safe` <
   * `aggressive`). Default `aggressive`, so requests may opt in unless the tenant forbids it.
   */
  maxMode: optimizationModeSchema.optional(),
  /** Prompt-token budget of `trim-history` (aggressive); capped by the model's window. Default 4000. */
  historyBudgetTokens: z.number().int().positive().max(10_000_000).optional(),
  /** Few-shot examples `select-few-shot` keeps (aggressive). Default 3. */
  fewShotKeep: z.number().int().positive().max(100).optional(),
});
export type TenantOptimization = z.infer<typeof tenantOptimizationSchema>;

/**
 * A tenant's defaults for the cost stages, stored in `tenants.settings.policy`. A request's own
 * fields win over these, except `cache`, which a request can only narrow (`decideCache`); absent
 * fields fall back to the platform defaults.
 */
export const tenantPolicySchema = z.object({
  cache: z
    .object({
      mode: z.enum(['read-write', 'read-only', 'write-only', 'off']).optional(),
      ttlSeconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 86_400)
        .optional(),
      semantic: z.boolean().optional(),
      wrongAnswerCost: wrongAnswerCostSchema.optional(),
    })
    .default({}),
  routing: z
    .object({
      mode: routingModeSchema.optional(),
      qualityFloor: z.number().min(0).max(1).optional(),
      /** The model this tenant would otherwise use: the baseline of its cost savings. */
      defaultModel: z.string().min(1).max(128).optional(),
    })
    .default({}),
  /** Token optimization: a bare mode (the original form) or `tenantOptimizationSchema`. */
  optimization: z.union([optimizationModeSchema, tenantOptimizationSchema]).optional(),
  enrichmentBudgetMs: z.number().int().min(1).max(1_000).optional(),
  /** Default deadline per mode, in seconds after acceptance (else the platform defaults). */
  deadlines: z
    .object({
      syncSeconds: z.number().int().min(1).max(3_600).optional(),
      asyncSeconds: z
        .number()
        .int()
        .min(1)
        .max(7 * 86_400)
        .optional(),
      bulkSeconds: z
        .number()
        .int()
        .min(60)
        .max(7 * 86_400)
        .optional(),
    })
    .optional(),
  /** Share of contended realtime dispatch against other tenants in the same class (default 1). */
  fairShareWeight: z.number().min(0.01).max(100).optional(),
});
export type TenantPolicy = z.infer<typeof tenantPolicySchema>;

/** The policy of a tenant with none stored: every platform default applies. */
export const EMPTY_TENANT_POLICY: TenantPolicy = { cache: {}, routing: {} };

/**
 * The policy in `tenants.settings.policy`. An invalid stored policy is reported through
 * `onInvalid` and read as "no policy", so a bad edit never fails the tenant's traffic.
 */
export function tenantPolicyFromSettings(
  settings: Record<string, unknown> | null,
  onInvalid: (issues: string) => void = () => undefined,
): TenantPolicy {
  const parsed = tenantPolicySchema.safeParse(settings?.policy ?? {});
  if (parsed.success) return parsed.data;
  onInvalid(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return EMPTY_TENANT_POLICY;
}

/**
 * What prepare decided for a request that goes on to a provider: the keys to fill the caches
 * under, and what routing and token optimization changed (for the result and cost accounting).
 */
export const dispatchPlanSchema = z.object({
  /** Extra exact-cache keys (the canonical-form key) that the answer is also stored under. */
  aliasKeys: z.array(z.string()).max(4).default([]),
  routing: routingDecisionSchema.optional(),
  tokens: tokenReportSchema.optional(),
  /** The model the baseline cost is priced on (the requested or tenant default model). */
  baselineModel: z.string().optional(),
  /** TTL of the cache entries, from the request's or tenant's cache control. */
  cacheTtlSeconds: z.number().int().positive().optional(),
});
export type DispatchPlan = z.infer<typeof dispatchPlanSchema>;
