import { findModel, type Usage } from '@asahi/contracts';

/** USD cost of a realtime call, from the catalog's per-1M-token prices; unknown models cost 0. */
export function costOf(
  model: string,
  usage: Pick<Usage, 'promptTokens' | 'completionTokens'>,
): number {
  const info = findModel(model);
  if (!info) return 0;
  return (
    (usage.promptTokens * info.inputPer1M + usage.completionTokens * info.outputPer1M) / 1_000_000
  );
}
