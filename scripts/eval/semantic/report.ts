import type { SemanticDecision } from '@asahi/stages';
import type { LabelledPair, Rates } from './metrics';

type Part = 'all' | 'tune' | 'holdout';

export interface Report {
  options: {
    pairsFile: string;
    embedder: string;
    embedderName: string;
    policyName: string;
    cost: string;
    task: string;
    seed: string;
    targetFhr: number;
    distinctTexts: number;
    embedMs: number;
  };
  pairs: LabelledPair[];
  similarity: number[];
  decisions: SemanticDecision[];
  split: Array<'tune' | 'holdout'>;
  canonicalEqual: boolean[];
  policyThreshold: number | null;
  auc: number;
  rates: (pairs: readonly LabelledPair[], hit: readonly boolean[]) => Rates;
  thresholdForFalseHitRate: (
    similarity: readonly number[],
    pairs: readonly LabelledPair[],
    maxFalseHitRate: number,
  ) => number | null;
  policyAt: (threshold: number) => boolean[];
}

const PARTS: Part[] = ['all', 'tune', 'holdout'];
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : 'n/a');
const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
const pad = (s: string, n: number) => s.padStart(n);

export function printReport(r: Report): void {
  const o = r.options;
  const duplicates = r.pairs.filter((p) => p.duplicate).length;
  const hasNegatives = duplicates < r.pairs.length;
  console.log(`semantic-cache eval: ${o.pairsFile}`);
  console.log(
    `  ${r.pairs.length} pairs (${duplicates} duplicates)  embedder ${o.embedderName} (--embedder ${o.embedder})  ` +
      `policy ${o.policyName} (wrong-answer cost ${o.cost})  task ${o.task}  split seed "${o.seed}"`,
  );
  console.log(
    `  embedded ${o.distinctTexts} distinct texts in ${(o.embedMs / 1000).toFixed(1)} s; ` +
      `ROC AUC of plain cosine ${hasNegatives && duplicates > 0 ? r.auc.toFixed(4) : 'n/a'}`,
  );
  printCanonical(r);
  printPolicyAndBaseline(r, hasNegatives);
  printRefusals(r);
  printSweep(r, hasNegatives);
  if (hasNegatives) printCalibration(r);
}

function select(r: Report, part: Part): number[] {
  return r.pairs.map((_, i) => i).filter((i) => part === 'all' || r.split[i] === part);
}

function ratesOf(r: Report, part: Part, hit: readonly boolean[]): Rates {
  const idx = select(r, part);
  return r.rates(
    idx.map((i) => r.pairs[i] as LabelledPair),
    idx.map((i) => hit[i] ?? false),
  );
}

function printCanonical(r: Report): void {
  const hits = r.decisions.map((d) => d.reason === 'canonical-match');
  const x = r.rates(r.pairs, hits);
  console.log(
    `  canonical-form hits: ${x.hits} (${x.trueHits} duplicates, ${x.falseHits} non-duplicates)`,
  );
}

function printPolicyAndBaseline(r: Report, hasNegatives: boolean): void {
  const hit = r.decisions.map((d) => d.hit);
  const policy = PARTS.map((part) => ratesOf(r, part, hit));
  console.log(
    `\npolicy: floor ${num(r.policyThreshold)} + near-miss verification     ${PARTS.map((p) => pad(p, 9)).join('')}`,
  );
  const row = (label: string, cells: string[]) =>
    console.log(`  ${label.padEnd(54)}${cells.map((c) => pad(c, 9)).join('')}`);
  row(
    'hits',
    policy.map((x) => String(x.hits)),
  );
  row(
    'hit precision',
    policy.map((x) => pct(x.precision)),
  );
  row(
    'recall on duplicates',
    policy.map((x) => pct(x.recall)),
  );
  row(
    'false-hit rate on non-duplicates',
    policy.map((x) => pct(x.falseHitRate)),
  );
  const plainAt = (t: number | null) => r.similarity.map((s) => t !== null && s >= t);
  if (!hasNegatives) {
    const plain = PARTS.map((part) => ratesOf(r, part, plainAt(r.policyThreshold)));
    row(
      `plain cosine ≥ ${num(r.policyThreshold)}: recall`,
      plain.map((x) => pct(x.recall)),
    );
    return;
  }
  const thresholds = PARTS.map((part, k) => {
    const idx = select(r, part);
    return r.thresholdForFalseHitRate(
      idx.map((i) => r.similarity[i] ?? 0),
      idx.map((i) => r.pairs[i] as LabelledPair),
      policy[k]?.falseHitRate ?? 0,
    );
  });
  const plain = PARTS.map((part, k) => ratesOf(r, part, plainAt(thresholds[k] ?? null)));
  console.log("\nplain cosine threshold tuned to the policy's false-hit rate (GPTCache-style)");
  row('threshold', thresholds.map(num));
  row(
    'hit precision',
    plain.map((x) => pct(x.precision)),
  );
  row(
    'recall on duplicates',
    plain.map((x) => pct(x.recall)),
  );
  row(
    'false-hit rate on non-duplicates',
    plain.map((x) => pct(x.falseHitRate)),
  );
  row(
    'policy recall / plain recall',
    policy.map((x, k) => ratio(x.recall, plain[k]?.recall ?? 0)),
  );
  const target = r.options.targetFhr;
  const atTarget = PARTS.map((part) => {
    const idx = select(r, part);
    const t = r.thresholdForFalseHitRate(
      idx.map((i) => r.similarity[i] ?? 0),
      idx.map((i) => r.pairs[i] as LabelledPair),
      target,
    );
    return { t, x: ratesOf(r, part, plainAt(t)) };
  });
  console.log(`\nplain cosine threshold at false-hit rate ≤ ${pct(target)}`);
  row(
    'threshold',
    atTarget.map((a) => num(a.t)),
  );
  row(
    'recall on duplicates',
    atTarget.map((a) => pct(a.x.recall)),
  );
  row(
    'false-hit rate on non-duplicates',
    atTarget.map((a) => pct(a.x.falseHitRate)),
  );
}

function ratio(a: number, b: number): string {
  if (b === 0) return a > 0 ? '∞' : 'n/a';
  return `${(a / b).toFixed(2)}x`;
}

function printRefusals(r: Report): void {
  const counts = new Map<string, [number, number]>();
  r.decisions.forEach((d, i) => {
    if (d.hit) return;
    const entry = counts.get(d.reason) ?? [0, 0];
    entry[r.pairs[i]?.duplicate ? 0 : 1] += 1;
    counts.set(d.reason, entry);
  });
  console.log('\npolicy refusals: reason  duplicates refused / non-duplicates refused');
  for (const [reason, [dup, non]] of [...counts].sort(
    (x, y) => y[1][0] + y[1][1] - x[1][0] - x[1][1],
  ))
    console.log(`  ${reason.padEnd(26)}${pad(String(dup), 7)} /${pad(String(non), 6)}`);
}

const SWEEP = [0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99];

function printSweep(r: Report, hasNegatives: boolean): void {
  console.log('\nthreshold sweep (all pairs): plain cosine ≥ t  vs  policy with its floor at t');
  console.log(
    `  ${'t'.padEnd(6)}${['plain R', 'plain FHR', 'plain P', 'policy R', 'policy FHR', 'policy P'].map((h) => pad(h, 11)).join('')}`,
  );
  for (const t of SWEEP) {
    const plain = r.rates(
      r.pairs,
      r.similarity.map((s) => s >= t),
    );
    const policy = r.rates(r.pairs, r.policyAt(t));
    const cells = [
      plain.recall,
      plain.falseHitRate,
      plain.precision,
      policy.recall,
      policy.falseHitRate,
      policy.precision,
    ];
    console.log(
      `  ${t.toFixed(2).padEnd(6)}${cells.map((c, k) => pad(!hasNegatives && k % 3 !== 0 ? 'n/a' : pct(c), 11)).join('')}`,
    );
  }
}

/** What this embedder could do with the policy's checks: the floor chosen on the tune half only. */
function printCalibration(r: Report): void {
  const target = r.options.targetFhr;
  let best: { t: number; tune: Rates } | null = null;
  for (let t = 0.5; t <= 0.999; t += 0.005) {
    const tune = ratesOf(r, 'tune', r.policyAt(t));
    if (tune.falseHitRate <= target && (!best || tune.recall > best.tune.recall))
      best = { t, tune };
  }
  if (!best) return console.log(`\nno policy floor keeps the tune half within ${pct(target)}`);
  const holdout = ratesOf(r, 'holdout', r.policyAt(best.t));
  console.log(
    `\npolicy floor calibrated on the tune half for false-hit rate ≤ ${pct(target)}: t = ${best.t.toFixed(3)}\n` +
      `  tune: recall ${pct(best.tune.recall)}, false-hit rate ${pct(best.tune.falseHitRate)}, precision ${pct(best.tune.precision)}\n` +
      `  holdout: recall ${pct(holdout.recall)}, false-hit rate ${pct(holdout.falseHitRate)}, precision ${pct(holdout.precision)}`,
  );
}
