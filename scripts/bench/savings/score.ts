import { percentile } from '../stats';
import type { WorkloadItem } from './workload';

/** What the API returned for one request (GET /v1/jobs/:id view, trimmed). */
export interface Answered {
  item: WorkloadItem;
  tenant: string;
  status: string;
  cacheTier: string;
  content: string | null;
  costUsd: number;
  baselineCostUsd: number;
  savings: Record<string, number> | null;
  tokens: { original: number; optimized: number } | null;
  routing: { model: string; taskType: string } | null;
  timings: Record<string, number>;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Scores a run. A served answer is "wrong" when it is some other answer group's answer: for a
 * labelled pair, b served a's answer while labelled a non-duplicate; anywhere else, the content
 * equals the first answer of a different prompt. Cache tiers only; provider answers can't be wrong.
 */
export function scoreRun(answers: Answered[]) {
  // tenant|content → the answer groups of the request that first received it
  const firstAnswerOf = new Map<string, string[]>();
  const groupsOf = (a: Answered) => [a.item.answerGroup, ...(a.item.alsoRight ?? [])];
  const hits: Record<string, number> = { exact: 0, canonical: 0, semantic: 0, intermediate: 0 };
  let wrong = 0;
  const wrongExamples: { kind: string; tier: string; group: string; servedFrom: string }[] = [];
  let pairHitsDup = 0;
  let pairHitsNonDup = 0;
  let dupPairs = 0;
  let nonDupPairs = 0;
  for (const a of answers) {
    if (a.status !== 'succeeded' || a.content === null) continue;
    const key = `${a.tenant}|${a.content}`;
    if (a.cacheTier !== 'none') hits[a.cacheTier] = (hits[a.cacheTier] ?? 0) + 1;
    const owner = firstAnswerOf.get(key);
    if (a.item.kind === 'pair-b') {
      if (a.item.duplicate) dupPairs++;
      else nonDupPairs++;
      const servedA = !!owner?.includes(a.item.pairOf ?? '') && a.cacheTier !== 'none';
      if (servedA && a.item.duplicate) pairHitsDup++;
      if (servedA && !a.item.duplicate) pairHitsNonDup++;
    }
    if (owner === undefined) firstAnswerOf.set(key, groupsOf(a));
    else if (a.cacheTier !== 'none' && !groupsOf(a).some((g) => owner.includes(g))) {
      wrong++;
      if (wrongExamples.length < 10)
        wrongExamples.push({
          kind: a.item.kind,
          tier: a.cacheTier,
          group: a.item.answerGroup,
          servedFrom: owner.join(' | '),
        });
    }
  }
  const sum = (f: (a: Answered) => number) => answers.reduce((acc, a) => acc + f(a), 0);
  const cost = sum((a) => a.costUsd);
  const baseline = sum((a) => a.baselineCostUsd);
  const stages = ['cache', 'intermediate', 'routing', 'tokens', 'batch'];
  const savedBy = Object.fromEntries(stages.map((s) => [s, sum((a) => a.savings?.[s] ?? 0)]));
  const original = sum((a) => a.tokens?.original ?? 0);
  const optimized = sum((a) => a.tokens?.optimized ?? 0);
  const totalHits = Object.values(hits).reduce((x, y) => x + y, 0);
  const latency = (key: string) => {
    const xs = answers.map((a) => a.timings[key]).filter((x): x is number => x !== undefined);
    return xs.length
      ? { n: xs.length, p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)) }
      : null;
  };
  return {
    requests: answers.length,
    succeeded: answers.filter((a) => a.status === 'succeeded').length,
    costUsd: round(cost, 6),
    baselineCostUsd: round(baseline, 6),
    savingsPercent: baseline > 0 ? round((100 * (baseline - cost)) / baseline) : 0,
    savedUsdByStage: Object.fromEntries(Object.entries(savedBy).map(([k, v]) => [k, round(v, 6)])),
    hitRatePercent: {
      any: round((100 * totalHits) / Math.max(1, answers.length)),
      ...Object.fromEntries(
        Object.entries(hits).map(([k, v]) => [k, round((100 * v) / Math.max(1, answers.length))]),
      ),
    },
    hits,
    wrongHits: wrong,
    wrongHitRatePercentOfHits: round((100 * wrong) / Math.max(1, totalHits)),
    wrongHitExamples: wrongExamples,
    labelledPairs: {
      duplicates: dupPairs,
      duplicatesServedFromCache: pairHitsDup,
      nonDuplicates: nonDupPairs,
      nonDuplicatesServedFromCache: pairHitsNonDup,
    },
    tokenReductionPercent: original > 0 ? round((100 * (original - optimized)) / original) : 0,
    addedLatencyMs: {
      prepare: latency('prepare'),
      enrichment: latency('enrichment'),
      semantic: latency('semantic'),
      tokens: latency('tokens'),
    },
  };
}

/** The few lines a reader wants from a scored run. */
export function summaryLines(name: string, r: ReturnType<typeof scoreRun>): string[] {
  const lat = (x: { p50: number; p99: number } | null) => (x ? `${x.p50}/${x.p99}` : '-');
  const pairs = r.labelledPairs;
  return [
    `${name}: ${r.succeeded}/${r.requests} succeeded; cost $${r.costUsd} vs baseline $${r.baselineCostUsd} → saved ${r.savingsPercent}%`,
    `  saved by stage (USD): ${Object.entries(r.savedUsdByStage)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  hit rate %: ${Object.entries(r.hitRatePercent)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  wrong hits: ${r.wrongHits} (${r.wrongHitRatePercentOfHits}% of hits); labelled pairs: ${pairs.duplicatesServedFromCache}/${pairs.duplicates} duplicates served, ${pairs.nonDuplicatesServedFromCache}/${pairs.nonDuplicates} non-duplicates served`,
    `  prompt token reduction: ${r.tokenReductionPercent}%`,
    `  added latency ms p50/p99: prepare ${lat(r.addedLatencyMs.prepare)}, semantic ${lat(r.addedLatencyMs.semantic)}, tokens ${lat(r.addedLatencyMs.tokens)}, enrichment ${lat(r.addedLatencyMs.enrichment)}`,
  ];
}

/** Semantic-tier lookup counts by outcome from a Prometheus text exposition. */
export function semanticOutcomes(metricsText: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const line = /^asahi_cache_lookups_total\{([^}]*)\} (\S+)$/gm;
  for (const [, labels = '', value = '0'] of metricsText.matchAll(line)) {
    if (!/tier="semantic"/.test(labels)) continue;
    const outcome = /outcome="([^"]+)"/.exec(labels)?.[1] ?? 'unknown';
    counts[outcome] = (counts[outcome] ?? 0) + Number(value);
  }
  return counts;
}

/** after − before, per key (counters only grow; a key absent before counts from 0). */
export function diffCounts(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}
