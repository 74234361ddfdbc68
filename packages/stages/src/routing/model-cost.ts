import type { ModelProfile } from '@asahi/contracts';

/** A model's prices in USD per 1M tokens, realtime and through the Batch API. */
export type ModelPrices = Pick<
  ModelProfile,
  'inputPer1M' | 'outputPer1M' | 'batchInputPer1M' | 'batchOutputPer1M'
>;

export interface EstimateCostOptions {
  /** Price at the provider's Batch API rates instead of realtime. Default false. */
  batch?: boolean;
}

/** USD for one call of `model` with these token counts, from the registry's per-1M prices. */
export function estimateCost(
  model: ModelPrices,
  promptTokens: number,
  completionTokens: number,
  options: EstimateCostOptions = {},
): number {
  const input = options.batch ? model.batchInputPer1M : model.inputPer1M;
  const output = options.batch ? model.batchOutputPer1M : model.outputPer1M;
  return (Math.max(0, promptTokens) * input + Math.max(0, completionTokens) * output) / 1_000_000;
}
