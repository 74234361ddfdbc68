import type { Savings } from '@asahi/contracts';
import type { PrismaClient } from './client';
import { toUsageHourlyRow, type UsageHourlyRow } from './rows';

export interface UsageInput {
  /** Idempotency key of the source message (e.g. the result's request id): counted once, ever. */
  key: string;
  tenantId: string;
  model: string;
  /** When the usage happened; counted in the UTC hour that contains it. */
  at: Date | string;
  requests: number;
  succeeded: number;
  failed: number;
  cacheHits: number;
  /** Provider attempts, retries included (optional: results carry none, audit events do). */
  providerCalls?: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  /** USD saved per stage; absent stages count 0. */
  savings?: Partial<Savings>;
  /** Prompt tokens before token optimization; defaults to `promptTokens` (nothing optimized). */
  originalPromptTokens?: number;
}

/**
 * Counts usage exactly once per key, in one statement (so atomically): keys go into the
 * analytics_ingested ledger, and only the rows whose key was new are added to their hourly
 * bucket. Duplicate keys inside the batch count once. Returns the keys that were counted.
 */
export async function recordUsageBatch(
  prisma: PrismaClient,
  inputs: UsageInput[],
): Promise<{ countedKeys: string[] }> {
  if (inputs.length === 0) return { countedKeys: [] };
  const payload = inputs.map((u) => ({
    key: u.key,
    tenant_id: u.tenantId,
    model: u.model,
    at: u.at instanceof Date ? u.at.toISOString() : u.at,
    requests: u.requests,
    succeeded: u.succeeded,
    failed: u.failed,
    cache_hits: u.cacheHits,
    provider_calls: u.providerCalls ?? 0,
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    cost_usd: u.costUsd,
    baseline_cost_usd: u.baselineCostUsd,
    saved_cache_usd: u.savings?.cache ?? 0,
    saved_intermediate_usd: u.savings?.intermediate ?? 0,
    saved_routing_usd: u.savings?.routing ?? 0,
    saved_tokens_usd: u.savings?.tokens ?? 0,
    saved_batch_usd: u.savings?.batch ?? 0,
    original_prompt_tokens: u.originalPromptTokens ?? u.promptTokens,
  }));
  // date_trunc with an explicit 'UTC' so the bucket does not depend on the session time zone.
  const rows = await prisma.$queryRaw<{ key: string }[]>`
    WITH input AS (
      SELECT DISTINCT ON (key) * FROM jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) AS x(
        key text, tenant_id text, model text, at timestamptz, requests int, succeeded int, failed int, cache_hits int,
        provider_calls int, prompt_tokens bigint, completion_tokens bigint, cost_usd numeric, baseline_cost_usd numeric,
        saved_cache_usd numeric, saved_intermediate_usd numeric, saved_routing_usd numeric, saved_tokens_usd numeric,
        saved_batch_usd numeric, original_prompt_tokens bigint)
    ), ledger AS (
      INSERT INTO analytics_ingested (key) SELECT key FROM input ON CONFLICT (key) DO NOTHING RETURNING key
    ), counted AS (
      SELECT input.* FROM input JOIN ledger USING (key)
    ), buckets AS (
      INSERT INTO usage_hourly AS u (tenant_id, model, hour, requests, succeeded, failed, cache_hits, provider_calls,
        prompt_tokens, completion_tokens, cost_usd, baseline_cost_usd, saved_cache_usd, saved_intermediate_usd,
        saved_routing_usd, saved_tokens_usd, saved_batch_usd, original_prompt_tokens, updated_at)
      SELECT tenant_id, model, date_trunc('hour', at, 'UTC'), sum(requests), sum(succeeded), sum(failed), sum(cache_hits),
        sum(provider_calls), sum(prompt_tokens), sum(completion_tokens), sum(cost_usd), sum(baseline_cost_usd),
        sum(saved_cache_usd), sum(saved_intermediate_usd), sum(saved_routing_usd), sum(saved_tokens_usd),
        sum(saved_batch_usd), sum(original_prompt_tokens), now()
      FROM counted GROUP BY tenant_id, model, date_trunc('hour', at, 'UTC')
      ON CONFLICT (tenant_id, model, hour) DO UPDATE SET
        requests = u.requests + EXCLUDED.requests, succeeded = u.succeeded + EXCLUDED.succeeded,
        failed = u.failed + EXCLUDED.failed, cache_hits = u.cache_hits + EXCLUDED.cache_hits,
        provider_calls = u.provider_calls + EXCLUDED.provider_calls,
        prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,
        completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens,
        cost_usd = u.cost_usd + EXCLUDED.cost_usd, baseline_cost_usd = u.baseline_cost_usd + EXCLUDED.baseline_cost_usd,
        saved_cache_usd = u.saved_cache_usd + EXCLUDED.saved_cache_usd,
        saved_intermediate_usd = u.saved_intermediate_usd + EXCLUDED.saved_intermediate_usd,
        saved_routing_usd = u.saved_routing_usd + EXCLUDED.saved_routing_usd,
        saved_tokens_usd = u.saved_tokens_usd + EXCLUDED.saved_tokens_usd,
        saved_batch_usd = u.saved_batch_usd + EXCLUDED.saved_batch_usd,
        original_prompt_tokens = u.original_prompt_tokens + EXCLUDED.original_prompt_tokens,
        updated_at = now()
    )
    SELECT key FROM counted`;
  return { countedKeys: rows.map((r) => r.key) };
}

export async function recordUsage(
  prisma: PrismaClient,
  input: UsageInput,
): Promise<{ counted: boolean }> {
  const { countedKeys } = await recordUsageBatch(prisma, [input]);
  return { counted: countedKeys.length > 0 };
}

/** Hourly buckets whose hour starts in [from, to), oldest first. */
export async function listUsage(
  prisma: PrismaClient,
  tenantId: string,
  from: Date,
  to: Date,
): Promise<UsageHourlyRow[]> {
  const rows = await prisma.usageHourly.findMany({
    where: { tenantId, hour: { gte: from, lt: to } },
    orderBy: [{ hour: 'asc' }, { model: 'asc' }],
  });
  return rows.map(toUsageHourlyRow);
}
