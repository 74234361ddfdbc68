import type { AuditEvent, ResultMessage } from '@asahi/contracts';
import type { UsageInput } from '@asahi/db';

/** One increment of the hourly per-tenant, per-model aggregate, keyed for idempotency. */
export type UsageDelta = UsageInput & { at: Date; providerCalls: number };

const EMPTY = {
  requests: 0,
  succeeded: 0,
  failed: 0,
  cacheHits: 0,
  providerCalls: 0,
  promptTokens: 0,
  completionTokens: 0,
  costUsd: 0,
  baselineCostUsd: 0,
};

/**
 * A terminal result counts one request. Tokens are what the provider billed, so a cache hit adds
 * none while its baseline cost still shows what it would have cost.
 */
export function usageFromResult(result: ResultMessage): UsageDelta {
  const billed = result.cacheTier === 'none';
  return {
    ...EMPTY,
    key: `result:${result.requestId}`,
    tenantId: result.tenantId,
    model: result.model,
    at: new Date(result.completedAt),
    requests: 1,
    succeeded: result.status === 'succeeded' ? 1 : 0,
    failed: result.status === 'succeeded' ? 0 : 1,
    cacheHits: result.cacheTier === 'none' ? 0 : 1,
    promptTokens: billed ? result.usage.promptTokens : 0,
    completionTokens: billed ? result.usage.completionTokens : 0,
    costUsd: result.costUsd,
    baselineCostUsd: result.baselineCostUsd,
    ...(result.savings ? { savings: result.savings } : {}),
    originalPromptTokens: billed ? originalPromptTokens(result) : 0,
  };
}

/** Prompt tokens the request had before token optimization, scaled to the provider's count. */
function originalPromptTokens(result: ResultMessage): number {
  const { tokens, usage } = result;
  if (!tokens || tokens.optimized <= 0) return usage.promptTokens;
  return Math.max(
    usage.promptTokens,
    Math.round((usage.promptTokens * tokens.original) / tokens.optimized),
  );
}

/** Audit events add what results do not show: how many provider attempts the requests took. */
export function usageFromAudit(event: AuditEvent): UsageDelta | null {
  if (event.type !== 'provider.call') return null;
  const attempts = Number(event.data.attempts ?? 1);
  const model = typeof event.data.model === 'string' ? event.data.model : 'unknown';
  return {
    ...EMPTY,
    key: `audit:${event.eventId}`,
    tenantId: event.tenantId,
    model,
    at: new Date(event.at),
    providerCalls: Number.isFinite(attempts) && attempts > 0 ? attempts : 1,
  };
}
