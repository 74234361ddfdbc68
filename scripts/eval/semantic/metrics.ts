import { createHash } from 'node:crypto';
import type { PairRow } from '../data-formats';

/** One labelled pair: `a` is the cached prompt, `b` the new query. */
export type LabelledPair = PairRow;

export interface Rates {
  pairs: number;
  duplicates: number;
  hits: number;
  trueHits: number;
  falseHits: number;
  /** trueHits / hits (NaN without hits). */
  precision: number;
  /** trueHits / duplicates (NaN without duplicates). */
  recall: number;
  /** falseHits / non-duplicates (NaN without non-duplicates). */
  falseHitRate: number;
}

export function rates(pairs: readonly LabelledPair[], hit: readonly boolean[]): Rates {
  let trueHits = 0;
  let falseHits = 0;
  let duplicates = 0;
  pairs.forEach((pair, i) => {
    if (pair.duplicate) duplicates += 1;
    if (!hit[i]) return;
    if (pair.duplicate) trueHits += 1;
    else falseHits += 1;
  });
  const hits = trueHits + falseHits;
  return {
    pairs: pairs.length,
    duplicates,
    hits,
    trueHits,
    falseHits,
    precision: trueHits / hits,
    recall: trueHits / duplicates,
    falseHitRate: falseHits / (pairs.length - duplicates),
  };
}

/**
 * The lowest plain cosine threshold whose false-hit rate stays within `maxFalseHitRate`: the
 * GPTCache-style baseline tuned to the same false-hit budget. Returns null without negatives.
 */
export function thresholdForFalseHitRate(
  similarities: readonly number[],
  pairs: readonly LabelledPair[],
  maxFalseHitRate: number,
): number | null {
  const negatives = similarities.filter((_, i) => !pairs[i]?.duplicate).sort((x, y) => y - x);
  if (negatives.length === 0) return null;
  const allowed = Math.floor(maxFalseHitRate * negatives.length + 1e-9);
  // Hits are `similarity >= threshold`; just above the (allowed+1)-th highest negative admits
  // exactly `allowed` of them (ties aside).
  const boundary = negatives[allowed];
  return boundary === undefined ? -1 : nextUp(boundary);
}

function nextUp(x: number): number {
  return x + Math.max(1e-9, Math.abs(x) * 1e-9);
}

/** Area under the ROC curve of `similarity` as a duplicate score (ties count half). */
export function rocAuc(similarities: readonly number[], pairs: readonly LabelledPair[]): number {
  const order = similarities.map((s, i) => [s, pairs[i]?.duplicate ?? false] as const);
  order.sort((x, y) => x[0] - y[0]);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]?.[0] === order[i]?.[0]) j += 1;
    const meanRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k += 1) {
      if (!order[k]?.[1]) continue;
      rankSum += meanRank;
      positives += 1;
    }
    i = j;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** A stable split: a pair's half depends only on the seed and its texts. */
export function splitOf(pair: LabelledPair, seed: string): 'tune' | 'holdout' {
  const digest = createHash('sha256').update(`${seed}\u0000${pair.a}\u0000${pair.b}`).digest();
  return (digest[0] ?? 0) < 128 ? 'tune' : 'holdout';
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i += 1) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}
