import { createHash } from 'node:crypto';
import type { ChatRequest, RequestMessage, TenantPolicy } from '@asahi/contracts';
import { canonicalJson, exactCacheKey } from '../canonical';
import { canonicalPrompt, isAboutSurfaceForm } from '../semantic/index';
import { tenantOptimizationOf } from '../tokens/index';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type KeyedRequest = Pick<RequestMessage, 'body' | 'routing' | 'steps'>;
/** The parts of the tenant's policy that change answers: routing defaults, optimization budgets. */
type KeyPolicy = Pick<TenantPolicy, 'routing' | 'optimization'>;

/**
 * The routing that will run, as `routeRequest` resolves it: the request's fields, else the
 * tenant's. Null for explicit routing, where `body.model` (already in the key) runs.
 */
function effectiveRouting(request: KeyedRequest, policy: KeyPolicy) {
  const own = request.routing ?? {};
  const mode = own.mode ?? policy.routing.mode ?? 'explicit';
  if (mode === 'explicit') return null;
  return {
    mode,
    qualityFloor: own.qualityFloor ?? policy.routing.qualityFloor,
    prefer: own.prefer,
    taskType: own.taskType,
    defaultModel: policy.routing.defaultModel,
  };
}

/**
 * What else, beyond the body, changes the answer: a routing policy other than "run this model"
 * (the request's or its tenant's) picks the model, declared steps decide the answer, and
 * aggressive token optimization may drop context. Null when none applies.
 */
export function keyExtras(
  request: KeyedRequest,
  optimization: string,
  policy: KeyPolicy,
): Record<string, unknown> | null {
  const routing = effectiveRouting(request, policy);
  const steps = request.steps ?? null;
  if (!routing && !steps && optimization !== 'aggressive') return null;
  return { routing, optimization: optimizationExtras(optimization, policy), steps };
}

/** Aggressive mode trims history and few-shot examples to the tenant's budgets: they key too. */
function optimizationExtras(optimization: string, policy: KeyPolicy) {
  if (optimization !== 'aggressive') return optimization;
  const { historyBudgetTokens, fewShotKeep } = tenantOptimizationOf(policy);
  return { mode: optimization, historyBudgetTokens, fewShotKeep };
}

/** Tier-1 key: the body's exact key, extended by routing policy and optimization when they matter. */
export function requestCacheKey(
  request: KeyedRequest,
  optimization: string,
  policy: KeyPolicy,
): string {
  const base = exactCacheKey(request.body);
  const extras = keyExtras(request, optimization, policy);
  return extras ? sha256(`${base}|${canonicalJson(extras)}`) : base;
}

/**
 * The body with its user messages in canonical form (case, spacing, punctuation, filler; quoted
 * spans kept). System, developer and assistant messages stay exact. Null when any message is
 * about the surface form (letters, punctuation, spelling…), which folding would erase.
 */
export function canonicalBody(body: ChatRequest): ChatRequest | null {
  if (body.messages.some((m) => isAboutSurfaceForm(m.content))) return null;
  return {
    ...body,
    messages: body.messages.map((m) =>
      m.role === 'user' ? { ...m, content: canonicalPrompt(m.content) } : m,
    ),
  };
}

/**
 * The canonical-form key ("c:" + key of the canonicalised request); null when canonical matching
 * does not apply to the request. Also set when folding changes nothing: a request typed in
 * canonical form must find, and be found by, its retyped siblings under this key.
 */
export function canonicalCacheKey(
  request: KeyedRequest,
  optimization: string,
  policy: KeyPolicy,
): string | null {
  const body = canonicalBody(request.body);
  return body ? `c:${requestCacheKey({ ...request, body }, optimization, policy)}` : null;
}
