import type { ModelProfile, Savings, TokenReport, Usage } from '@asahi/contracts';
import { costOf } from '../pricing';

export const NO_SAVINGS: Savings = { cache: 0, intermediate: 0, routing: 0, tokens: 0, batch: 0 };

export interface CostInput {
  /** The model the tenant would otherwise have used: the baseline is priced on it. */
  baselineModel: string;
  /** The model that actually answered. */
  model: string;
  usage: Pick<Usage, 'promptTokens' | 'completionTokens'>;
  tokens?: TokenReport | undefined;
  /** Answered through the provider's Batch API (billed at the model's batch prices). */
  batch?: boolean;
  /**
   * The model registry the prices come from (snapshot ids priced as their base model); absent
   * or empty → the built-in catalog. See `costOf`.
   */
  registry?: readonly ModelProfile[] | undefined;
}

export interface CostBreakdown {
  costUsd: number;
  baselineCostUsd: number;
  savings: Savings;
}

/**
 * Cost of a provider answer against its baseline (realtime, unoptimized, baseline model), with
 * the difference attributed stage by stage so the parts always add up to the whole:
 * tokens = baseline − (baseline model, optimized prompt); routing = that − (answering model,
 * realtime); batch = realtime − billed. Routing may be negative when it chose a better model.
 */
export function accountCost(input: CostInput): CostBreakdown {
  const { promptTokens, completionTokens } = input.usage;
  const original =
    input.tokens && input.tokens.optimized > 0
      ? Math.round((promptTokens * input.tokens.original) / input.tokens.optimized)
      : promptTokens;
  const { registry } = input;
  const baselineCostUsd = costOf(
    input.baselineModel,
    { promptTokens: Math.max(original, promptTokens), completionTokens },
    { registry },
  );
  const afterTokens = costOf(input.baselineModel, { promptTokens, completionTokens }, { registry });
  const realtime = costOf(input.model, { promptTokens, completionTokens }, { registry });
  const costUsd = input.batch
    ? costOf(input.model, { promptTokens, completionTokens }, { registry, batch: true })
    : realtime;
  return {
    costUsd,
    baselineCostUsd,
    savings: {
      ...NO_SAVINGS,
      tokens: baselineCostUsd - afterTokens,
      routing: afterTokens - realtime,
      batch: realtime - costUsd,
    },
  };
}

/** A cache hit costs nothing: everything the baseline would have cost is the cache's saving. */
export function accountCacheHit(
  baselineCostUsd: number,
  tier: 'cache' | 'intermediate',
): CostBreakdown {
  return { costUsd: 0, baselineCostUsd, savings: { ...NO_SAVINGS, [tier]: baselineCostUsd } };
}
