/**
 * Token-optimization evaluation:
 *
 *   npm run eval:tokens -- --prompts data/eval/redundant-context.jsonl [--mode safe|aggressive]
 *     [--history-budget 4000] [--few-shot-keep 3] [--expect-min PCT] [--expect-max PCT]
 *
 * Prints original and optimized prompt tokens, the reduction, what each strategy contributed,
 * max_tokens right-sizing (apart: it does not shrink the prompt), optimizer time per request and
 * the figures per line type. Checks that optimizing the output again changes nothing.
 * `--expect-min/--expect-max` make it exit 1 when the overall reduction falls outside.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chatRequestSchema, optimizationModeSchema, taskTypeSchema } from '@asahi/contracts';
import { countTokens, optimizeTokens, type StrategyName } from '@asahi/stages';
import { percentile } from '../bench/stats';
import { add, emptyTotals, pct, reductionPct, table, type Totals } from './tokens/report';
import type { TokenSetLine } from './tokens/token-set';

const { values } = parseArgs({
  options: {
    prompts: { type: 'string', default: 'data/eval/redundant-context.jsonl' },
    mode: { type: 'string' },
    'history-budget': { type: 'string' },
    'few-shot-keep': { type: 'string' },
    'expect-min': { type: 'string' },
    'expect-max': { type: 'string' },
  },
});

function readSet(path: string): TokenSetLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const raw = JSON.parse(l) as Record<string, unknown>;
      return {
        id: String(raw.id ?? `line-${i + 1}`),
        type: typeof raw.type === 'string' ? raw.type : 'all',
        body: chatRequestSchema.parse(raw.body),
        mode:
          raw.mode === undefined ? undefined : (optimizationModeSchema.parse(raw.mode) as 'safe'),
        taskType: raw.taskType === undefined ? undefined : taskTypeSchema.parse(raw.taskType),
      };
    });
}

const forcedMode =
  values.mode === undefined ? undefined : optimizationModeSchema.parse(values.mode);
const numberOpt = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const lines = readSet(values.prompts);

// Build both encoders before timing: that one-off cost (~1 s) is paid once per process.
countTokens('warm up', 'gpt-4o-mini');
countTokens('warm up', 'gpt-3.5-turbo');

const overall = emptyTotals();
const byType = new Map<string, Totals>();
const byStrategy = new Map<StrategyName, { lines: number; saved: number }>();
const maxTokens = { lowered: 0, before: 0, after: 0, unsetBefore: 0 };
const timesMs: number[] = [];
const notIdempotent: string[] = [];
const changed: string[] = [];
const modes = new Set<string>();

for (const line of lines) {
  const mode = forcedMode ?? line.mode ?? 'safe';
  modes.add(mode);
  const options = {
    mode,
    historyBudgetTokens: numberOpt(values['history-budget']),
    fewShotKeep: numberOpt(values['few-shot-keep']),
    taskType: line.taskType,
  };
  const started = performance.now();
  const result = optimizeTokens(line.body, options);
  timesMs.push(performance.now() - started);
  const again = optimizeTokens(result.body, options);
  if (again.steps.length > 0)
    notIdempotent.push(`${line.id} (${again.report.strategies.join(', ')})`);
  const { original, optimized } = result.report;
  add(overall, original, optimized);
  const type = line.type ?? 'all';
  if (!byType.has(type)) byType.set(type, emptyTotals());
  add(byType.get(type)!, original, optimized);
  if (optimized !== original) changed.push(line.id);
  for (const step of result.steps) {
    const s = byStrategy.get(step.name) ?? { lines: 0, saved: 0 };
    s.lines++;
    s.saved += step.savedTokens;
    byStrategy.set(step.name, s);
  }
  const { before, after } = result.maxTokens;
  if (after !== before) {
    maxTokens.lowered++;
    if (before === undefined) maxTokens.unsetBefore++;
    else maxTokens.before += before;
    maxTokens.after += after ?? 0;
  }
}

const out = (text = '') => console.log(text);
out(`[eval:tokens] ${values.prompts}: ${lines.length} requests, mode ${[...modes].join('/')}`);
out();
out(
  table(
    ['set', 'requests', 'original', 'optimized', 'reduction'],
    [
      ...[...byType].map(([type, t]) => [
        type,
        t.lines,
        t.original,
        t.optimized,
        pct(reductionPct(t)),
      ]),
      ['total', overall.lines, overall.original, overall.optimized, pct(reductionPct(overall))],
    ],
  ),
);
out();
out(
  table(
    ['strategy', 'applied', 'tokens saved', 'share of original'],
    [...byStrategy].map(([name, s]) => [
      name,
      s.lines,
      s.saved,
      pct(overall.original === 0 ? 0 : (100 * s.saved) / overall.original),
    ]),
  ),
);
out();
out(
  maxTokens.lowered === 0
    ? 'max_tokens: unchanged on every request'
    : `max_tokens: lowered on ${maxTokens.lowered} requests (${maxTokens.unsetBefore} had none); ` +
        `reserved ${maxTokens.before} → ${maxTokens.after} where set (not counted in the reduction)`,
);
out(
  `optimizer time per request: p50 ${percentile(timesMs, 50).toFixed(2)} ms, ` +
    `p99 ${percentile(timesMs, 99).toFixed(2)} ms, max ${Math.max(...timesMs).toFixed(2)} ms`,
);
out(
  `requests changed: ${changed.length}/${lines.length}${changed.length > 0 && changed.length <= 10 ? ` (${changed.join(', ')})` : ''}`,
);
out(
  notIdempotent.length === 0
    ? `idempotent: a second pass changed none of the ${lines.length} requests`
    : `NOT idempotent on ${notIdempotent.length}: ${notIdempotent.slice(0, 10).join('; ')}`,
);

const reduction = reductionPct(overall);
const min = numberOpt(values['expect-min']);
const max = numberOpt(values['expect-max']);
if (
  (min !== undefined && reduction < min) ||
  (max !== undefined && reduction > max) ||
  notIdempotent.length > 0
) {
  console.error(
    `[eval:tokens] FAILED: reduction ${pct(reduction)} outside the expected range, or not idempotent`,
  );
  process.exit(1);
}
