/**
 * Token-optimization evaluation:
 *
 *   npm run eval:tokens -- --prompts data/eval/redundant-context.jsonl [--mode safe|aggressive]
 *     [--history-budget 4000] [--few-shot-keep 3] [--expect-min PCT] [--expect-max PCT]
 *
 * Prints original and optimized prompt tokens, the reduction, what each strategy contributed,
 * max_tokens right-sizing (apart: it does not shrink the prompt), optimizer time per request and
 * the figures per line type, and checks that optimizing the output again changes nothing.
 * `--expect-min/--expect-max` make it exit 1 when the overall reduction falls outside; it also
 * exits 1 when a second pass changes anything. Line format: scripts/eval/tokens/token-set.ts.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chatRequestSchema, optimizationModeSchema, taskTypeSchema } from '@asahi/contracts';
import { countTokens } from '@asahi/stages';
import { evaluateSet } from './tokens/evaluate';
import { formatEvaluation, pct, reductionPct } from './tokens/report';
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
        mode: raw.mode === undefined ? undefined : optimizationModeSchema.parse(raw.mode),
        taskType: raw.taskType === undefined ? undefined : taskTypeSchema.parse(raw.taskType),
      };
    });
}

const numberOpt = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const lines = readSet(values.prompts);

// Build both encoders before timing: that one-off cost (~1 s) is paid once per process.
countTokens('warm up', 'gpt-4o-mini');
countTokens('warm up', 'gpt-3.5-turbo');

const evaluation = evaluateSet(lines, {
  mode: values.mode === undefined ? undefined : optimizationModeSchema.parse(values.mode),
  historyBudgetTokens: numberOpt(values['history-budget']),
  fewShotKeep: numberOpt(values['few-shot-keep']),
});
console.log(formatEvaluation(values.prompts, evaluation));

const reduction = reductionPct(evaluation.overall);
const min = numberOpt(values['expect-min']);
const max = numberOpt(values['expect-max']);
const outside = (min !== undefined && reduction < min) || (max !== undefined && reduction > max);
if (outside || evaluation.notIdempotent.length > 0) {
  console.error(
    `[eval:tokens] FAILED: reduction ${pct(reduction)}` +
      (outside ? ` outside [${min ?? '-∞'}, ${max ?? '∞'}]` : '') +
      (evaluation.notIdempotent.length > 0 ? '; a second pass changed some requests' : ''),
  );
  process.exit(1);
}
