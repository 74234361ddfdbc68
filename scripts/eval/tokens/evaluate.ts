import { optimizeTokens, type StrategyName, type TokenOptimizationOptions } from '@asahi/stages';
import type { OptimizationMode } from '@asahi/contracts';
import { add, emptyTotals, type Totals } from './report';
import type { TokenSetLine } from './token-set';

export interface Evaluation {
  requests: number;
  modes: Set<OptimizationMode>;
  overall: Totals;
  byType: Map<string, Totals>;
  byStrategy: Map<StrategyName, { lines: number; saved: number }>;
  /** Requests whose max_tokens was lowered; sums over those that had one before. */
  maxTokens: { lowered: number; unsetBefore: number; before: number; after: number };
  timesMs: number[];
  changed: string[];
  /** Requests a second pass still changed, with what it changed. */
  notIdempotent: string[];
}

export type EvaluationOptions = Omit<TokenOptimizationOptions, 'mode' | 'taskType'> & {
  /** Overrides each line's own mode (which defaults to safe). */
  mode?: OptimizationMode;
};

function tally(ev: Evaluation, line: TokenSetLine, result: ReturnType<typeof optimizeTokens>) {
  const { original, optimized } = result.report;
  add(ev.overall, original, optimized);
  const type = line.type ?? 'all';
  if (!ev.byType.has(type)) ev.byType.set(type, emptyTotals());
  add(ev.byType.get(type)!, original, optimized);
  if (optimized !== original) ev.changed.push(line.id);
  for (const step of result.steps) {
    const s = ev.byStrategy.get(step.name) ?? { lines: 0, saved: 0 };
    s.lines++;
    s.saved += step.savedTokens;
    ev.byStrategy.set(step.name, s);
  }
  const { before, after } = result.maxTokens;
  if (after === before) return;
  ev.maxTokens.lowered++;
  if (before === undefined) ev.maxTokens.unsetBefore++;
  else {
    ev.maxTokens.before += before;
    ev.maxTokens.after += after ?? 0;
  }
}

/** Optimizes every line (timed), then optimizes the result again to check nothing changes. */
export function evaluateSet(
  lines: readonly TokenSetLine[],
  options: EvaluationOptions,
): Evaluation {
  const ev: Evaluation = {
    requests: lines.length,
    modes: new Set(),
    overall: emptyTotals(),
    byType: new Map(),
    byStrategy: new Map(),
    maxTokens: { lowered: 0, unsetBefore: 0, before: 0, after: 0 },
    timesMs: [],
    changed: [],
    notIdempotent: [],
  };
  for (const line of lines) {
    const mode = options.mode ?? line.mode ?? 'safe';
    ev.modes.add(mode);
    const lineOptions = { ...options, mode, taskType: line.taskType };
    const started = performance.now();
    const result = optimizeTokens(line.body, lineOptions);
    ev.timesMs.push(performance.now() - started);
    const again = optimizeTokens(result.body, lineOptions);
    if (again.steps.length > 0)
      ev.notIdempotent.push(`${line.id} (${again.report.strategies.join(', ')})`);
    tally(ev, line, result);
  }
  return ev;
}
