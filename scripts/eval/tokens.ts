/**
 * Token-optimization evaluation:
 *
 *   npm run eval:tokens -- --prompts data/eval/redundant-context.jsonl [--mode safe|aggressive]
 *     [--history-budget 4000] [--few-shot-keep 3] [--expect-min PCT] [--expect-max PCT]
 *     [--seed 7] [--per-type 120]
 *
 * Prints original and optimized prompt tokens, the reduction, what each strategy contributed,
 * max_tokens right-sizing (apart: it does not shrink the prompt), optimizer time per request and
 * the figures per line type, and checks that optimizing the output again changes nothing.
 * `--expect-min/--expect-max` make it exit 1 when the overall reduction falls outside; it also
 * exits 1 when a second pass changes anything. Bad flags or input exit 2. Line format:
 * scripts/eval/tokens/token-set.ts; a file in the shared prompts format instead is turned into
 * the redundant-context set in process, as `eval:tokens:build` would (`--seed`, `--per-type`).
 */
import { parseArgs } from 'node:util';
import { optimizationModeSchema } from '@asahi/contracts';
import { countTokens } from '@asahi/stages';
import {
  InputError,
  nonNegativeInt,
  oneOf,
  optional,
  percent,
  positiveInt,
  readInputsOrExit,
  readTextFile,
} from './cli-input';
import { evaluateSet } from './tokens/evaluate';
import { formatEvaluation, pct, reductionPct } from './tokens/report';
import { buildRedundantSet } from './tokens/sets';
import { parseTokenSetInput } from './tokens/token-set';

const input = readInputsOrExit('eval:tokens', () => {
  const { values } = parseArgs({
    options: {
      prompts: { type: 'string', default: 'data/eval/redundant-context.jsonl' },
      mode: { type: 'string' },
      'history-budget': { type: 'string' },
      'few-shot-keep': { type: 'string' },
      'expect-min': { type: 'string' },
      'expect-max': { type: 'string' },
      seed: { type: 'string', default: '7' },
      'per-type': { type: 'string', default: '120' },
    },
  });
  const options = {
    file: values.prompts,
    mode: optional('mode', values.mode, (f, raw) => oneOf(f, raw, optimizationModeSchema.options)),
    historyBudgetTokens: optional('history-budget', values['history-budget'], positiveInt),
    fewShotKeep: optional('few-shot-keep', values['few-shot-keep'], positiveInt),
    expectMin: optional('expect-min', values['expect-min'], percent),
    expectMax: optional('expect-max', values['expect-max'], percent),
    seed: nonNegativeInt('seed', values.seed),
    perType: positiveInt('per-type', values['per-type']),
  };
  if (options.expectMin !== undefined && options.expectMax !== undefined)
    if (options.expectMin > options.expectMax)
      throw new InputError('--expect-min must not be above --expect-max');
  const parsed = parseTokenSetInput(readTextFile('prompts', options.file), options.file);
  if (parsed.format === 'token-set') return { ...options, lines: parsed.lines };
  const lines = buildRedundantSet(parsed.prompts, options, options.file);
  console.log(
    `[eval:tokens] ${options.file} holds raw prompts (${parsed.prompts.length}): built the ` +
      `redundant-context set in process, ${lines.length} requests (seed ${options.seed}, ` +
      `${options.perType} per type, as eval:tokens:build does)`,
  );
  return { ...options, lines };
});

// Build both encoders before timing: that one-off cost (~1 s) is paid once per process.
countTokens('warm up', 'gpt-4o-mini');
countTokens('warm up', 'gpt-3.5-turbo');

const evaluation = evaluateSet(input.lines, {
  mode: input.mode,
  historyBudgetTokens: input.historyBudgetTokens,
  fewShotKeep: input.fewShotKeep,
});
console.log(formatEvaluation(input.file, evaluation));

const reduction = reductionPct(evaluation.overall);
const { expectMin: min, expectMax: max } = input;
const outside = (min !== undefined && reduction < min) || (max !== undefined && reduction > max);
if (outside || evaluation.notIdempotent.length > 0) {
  console.error(
    `[eval:tokens] FAILED: reduction ${pct(reduction)}` +
      (outside ? ` outside [${min ?? '-∞'}, ${max ?? '∞'}]` : '') +
      (evaluation.notIdempotent.length > 0 ? '; a second pass changed some requests' : ''),
  );
  process.exit(1);
}
