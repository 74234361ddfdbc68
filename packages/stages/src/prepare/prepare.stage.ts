import type {
  CacheTier,
  DispatchPlan,
  RequestMessage,
  ResultMessage,
  TaskType,
  TenantPolicy,
} from '@asahi/contracts';
import type { AppError } from '@asahi/errors';
import { decideCache } from '../cache-policy';
import { accountCacheHit } from '../cost/index';
import { enrichRequest, type FeatureReader, type TemplateReader } from '../enrichment/index';
import type { CachedAnswer, Clock, ExactCache } from '../ports';
import { buildResult } from '../result-builder';
import { detectTaskType, type ModelProfile } from '../routing/index';
import { DEFAULT_SEMANTIC_POLICY } from '../semantic/index';
import { resolveOptimizationMode } from '../tokens/index';
import { canonicalCacheKey, keyExtras, requestCacheKey } from './cache-keys';
import { optimizeAndRoute } from './optimize-and-route';
import { lookupSemantic, type SemanticPorts } from './semantic-lookup';

export interface EnrichmentPorts {
  templates: TemplateReader;
  features: FeatureReader;
  budgetMs: number;
}

export interface PreparePorts {
  cache: ExactCache;
  clock: Clock;
  /** Tier 2; absent → exact and canonical tiers only. */
  semantic?: SemanticPorts;
  enrichment?: EnrichmentPorts;
}

/** Plain data the stage decides with: the tenant's policy and the model registry. */
export interface PrepareContext {
  policy: TenantPolicy;
  registry: ModelProfile[];
}

/** What each optional step did, for metrics and audit. */
export interface PrepareTrace {
  taskType?: TaskType;
  enrichment?: string;
  exact?: 'hit' | 'miss' | 'skip';
  canonical?: 'hit' | 'miss' | 'skip';
  semantic?: 'hit' | 'miss' | 'skip' | 'timeout' | 'error';
  semanticReason?: string;
  similarity?: number;
}

export type PrepareOutcome =
  | { kind: 'complete'; result: ResultMessage; cacheHit: boolean; trace: PrepareTrace }
  | {
      kind: 'dispatch';
      /** The request as it goes to the provider: enriched, optimized and routed. */
      request: RequestMessage;
      cacheKey: string | null;
      plan: DispatchPlan;
      /** Queue wait and the time each prepare step took (enrichment, semantic, tokens). */
      timings: Record<string, number>;
      trace: PrepareTrace;
    };

export const DEFAULT_CONTEXT: PrepareContext = { policy: { cache: {}, routing: {} }, registry: [] };

/**
 * The prepare stage, cheapest answer first: expire what is already late; enrich the prompt; answer
 * from the exact, canonical-form or semantic cache when policy allows; otherwise optimize tokens,
 * route to a model, and hand on to dispatch with the keys to fill the caches under.
 */
export async function prepareRequest(
  original: RequestMessage,
  ports: PreparePorts,
  timings: Record<string, number> = {},
  context: PrepareContext = DEFAULT_CONTEXT,
): Promise<PrepareOutcome> {
  const trace: PrepareTrace = {};
  if (Date.parse(original.deadlineAt) <= ports.clock.now())
    return expire(original, ports, timings, trace);

  let request = original;
  if (original.enrichment && ports.enrichment) {
    const started = ports.clock.now();
    const enriched = await enrichRequest(
      original,
      { ...ports.enrichment, clock: ports.clock },
      {
        budgetMs: context.policy.enrichmentBudgetMs ?? ports.enrichment.budgetMs,
      },
    );
    request = enriched.request;
    trace.enrichment = enriched.status;
    timings = { ...timings, enrichment: ports.clock.now() - started };
  }

  const { policy } = context;
  const optimization = resolveOptimizationMode(request.optimization, policy);
  const decision = decideCache(request, policy);
  const taskType = request.routing?.taskType ?? detectTaskType(request.body.messages);
  trace.taskType = taskType;
  const baselineModel = baselineModelOf(request, policy);
  const cacheKey =
    decision.read || decision.write ? requestCacheKey(request, optimization, policy) : null;
  // Folding case breaks identifiers and answers that copy the prompt's words (code, translation).
  const canonicalAllowed = DEFAULT_SEMANTIC_POLICY.canonicalTaskTypes.includes(taskType);
  const canonicalKey =
    (decision.read || decision.write) && canonicalAllowed
      ? canonicalCacheKey(request, optimization, policy)
      : null;

  if (cacheKey && decision.read) {
    const hit = await ports.cache.get(request.tenantId, cacheKey);
    trace.exact = hit ? 'hit' : 'miss';
    if (hit) return complete(original, hit, 'exact', ports, timings, trace);
    if (canonicalKey) {
      const canonical = await ports.cache.get(request.tenantId, canonicalKey);
      trace.canonical = canonical ? 'hit' : 'miss';
      if (canonical) return complete(original, canonical, 'canonical', ports, timings, trace);
    }
  } else trace.exact = 'skip';

  if (cacheKey && ports.semantic && decision.semantic) {
    const started = ports.clock.now();
    const semantic = await lookupSemantic(
      {
        request,
        policy,
        cacheKey,
        extras: keyExtras(request, optimization, policy),
        taskType,
        wrongAnswerCost: policy.cache.wrongAnswerCost ?? 'medium',
        read: decision.read,
        write: decision.write,
        ttlSeconds: decision.ttlSeconds,
      },
      { cache: ports.cache, semantic: ports.semantic },
    );
    timings = { ...timings, semantic: ports.clock.now() - started };
    trace.semantic =
      semantic.kind === 'degraded'
        ? semantic.reason
        : semantic.kind === 'skipped'
          ? 'skip'
          : semantic.kind;
    if (semantic.kind === 'hit') {
      trace.similarity = semantic.similarity;
      return complete(original, semantic.answer, 'semantic', ports, timings, trace);
    }
    if (semantic.kind !== 'degraded') trace.semanticReason = semantic.reason;
  }

  const started = ports.clock.now();
  // Optimize the prompt, route, then size max_tokens for the routed model (optimize-and-route.ts).
  const routed = optimizeAndRoute({
    request,
    policy,
    registry: context.registry,
    taskType,
    mode: optimization,
  });
  timings = { ...timings, tokens: ports.clock.now() - started };
  if (!routed.ok) return reject(original, routed.error, ports, timings, trace);
  return {
    kind: 'dispatch',
    request: { ...request, body: routed.body },
    cacheKey: decision.write ? cacheKey : null,
    plan: {
      aliasKeys: decision.write && canonicalKey ? [canonicalKey] : [],
      routing: routed.decision,
      tokens: routed.tokens,
      baselineModel,
      cacheTtlSeconds: decision.ttlSeconds,
    },
    timings,
    trace,
  };
}

/** The model the tenant would otherwise have used: what savings are measured against. */
function baselineModelOf(request: RequestMessage, policy: TenantPolicy): string {
  const mode = request.routing?.mode ?? policy.routing.mode ?? 'explicit';
  return mode === 'explicit'
    ? request.body.model
    : (policy.routing.defaultModel ?? request.body.model);
}

function complete(
  request: RequestMessage,
  cached: CachedAnswer,
  tier: Exclude<CacheTier, 'none' | 'intermediate'>,
  ports: PreparePorts,
  timings: Record<string, number>,
  trace: PrepareTrace,
): PrepareOutcome {
  const cost = accountCacheHit(cached.baselineCostUsd ?? cached.costUsd, 'cache');
  const result = buildResult(request, {
    status: 'succeeded',
    completedAt: ports.clock.now(),
    model: cached.model,
    provider: cached.provider,
    output: cached.output,
    usage: cached.usage,
    ...cost,
    cacheTier: tier,
    attempts: 0,
    timings,
  });
  return { kind: 'complete', result, cacheHit: true, trace };
}

function expire(
  request: RequestMessage,
  ports: PreparePorts,
  timings: Record<string, number>,
  trace: PrepareTrace,
): PrepareOutcome {
  const error = {
    code: 'deadline_exceeded',
    message: 'The request reached its deadline before it could run',
    retryable: false,
  };
  return fail(request, error, ports, timings, trace, 'expired');
}

function reject(
  request: RequestMessage,
  error: AppError,
  ports: PreparePorts,
  timings: Record<string, number>,
  trace: PrepareTrace,
): PrepareOutcome {
  const body = { code: error.code, message: error.message, retryable: false };
  return fail(request, body, ports, timings, trace, 'failed');
}

function fail(
  request: RequestMessage,
  error: { code: string; message: string; retryable: boolean },
  ports: PreparePorts,
  timings: Record<string, number>,
  trace: PrepareTrace,
  status: 'failed' | 'expired',
): PrepareOutcome {
  const result = buildResult(request, {
    status,
    completedAt: ports.clock.now(),
    model: request.body.model,
    provider: 'none',
    attempts: 0,
    timings,
    error,
  });
  return { kind: 'complete', cacheHit: false, result, trace };
}
