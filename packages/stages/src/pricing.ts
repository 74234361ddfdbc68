import { BATCH_DISCOUNT, MODEL_CATALOG, type ModelProfile, type Usage } from '@asahi/contracts';
import { estimateCost, findModelEntry, type ModelPrices } from './routing/index';

export interface PriceOptions {
  /**
   * The model registry (PostgreSQL `model_registry`, which operators edit): the source of prices.
   * Absent or empty (not loaded, Postgres down) → the built-in `MODEL_CATALOG`.
   */
  registry?: readonly ModelProfile[] | undefined;
  /** Price at the Batch API rates instead of realtime. Default false. */
  batch?: boolean | undefined;
}

/**
 * The prices of a model id, snapshot ids (`gpt-4o-2024-08-06`, as providers answer) priced as
 * their base model: from the registry when one is loaded (any state: a model disabled since it
 * answered was still billed), else from the catalog at `BATCH_DISCOUNT` for the Batch API.
 * Undefined for a model neither knows.
 */
export function pricesOf(
  model: string,
  registry: readonly ModelProfile[] = [],
): ModelPrices | undefined {
  if (registry.length > 0) return findModelEntry(registry, model);
  const info = findModelEntry(MODEL_CATALOG, model);
  if (!info) return undefined;
  return {
    inputPer1M: info.inputPer1M,
    outputPer1M: info.outputPer1M,
    batchInputPer1M: info.inputPer1M * BATCH_DISCOUNT,
    batchOutputPer1M: info.outputPer1M * BATCH_DISCOUNT,
  };
}

/** USD cost of a call (realtime, or Batch API with `batch`); models without prices cost 0. */
export function costOf(
  model: string,
  usage: Pick<Usage, 'promptTokens' | 'completionTokens'>,
  options: PriceOptions = {},
): number {
  const prices = pricesOf(model, options.registry);
  if (!prices) return 0;
  return estimateCost(prices, usage.promptTokens, usage.completionTokens, {
    batch: options.batch === true,
  });
}
