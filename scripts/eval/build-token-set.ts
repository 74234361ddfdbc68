/**
 * Builds the token-optimization evaluation sets from real prompts, deterministically:
 *
 *   npm run eval:tokens:build -- --from ../shared/data/prompts.dev.jsonl \
 *     --out data/eval/redundant-context.jsonl [--tight-out data/eval/tight-prompts.jsonl] \
 *     [--seed 7] [--per-type 120] [--tight 600]
 *
 * The redundant set has three line types (multi-turn, repeated-document, few-shot); the tight
 * set is single real prompts normalised once by the optimizer's safe mode, where a second pass
 * must find nothing. Line format: see scripts/eval/tokens/token-set.ts and
 * docs/token-optimization.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { chatRequestSchema } from '@asahi/contracts';
import { nonNegativeInt, positiveInt, readInputsOrExit, readTextFile } from './cli-input';
import { parsePromptRows } from './data-formats';
import { buildRedundantSet, tightSet } from './tokens/sets';
import { createRng } from './tokens/rng';
import type { TokenSetLine } from './tokens/token-set';

function writeJsonl(path: string, lines: readonly TokenSetLine[]): void {
  for (const line of lines) chatRequestSchema.parse(line.body);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

const input = readInputsOrExit('eval:tokens:build', () => {
  const { values } = parseArgs({
    options: {
      from: { type: 'string', default: '../shared/data/prompts.dev.jsonl' },
      out: { type: 'string', default: 'data/eval/redundant-context.jsonl' },
      'tight-out': { type: 'string', default: 'data/eval/tight-prompts.jsonl' },
      seed: { type: 'string', default: '7' },
      'per-type': { type: 'string', default: '120' },
      tight: { type: 'string', default: '600' },
    },
  });
  const seed = nonNegativeInt('seed', values.seed);
  const prompts = parsePromptRows(readTextFile('from', values.from), values.from).map(
    (r) => r.prompt,
  );
  return {
    ...values,
    seed,
    prompts,
    redundant: buildRedundantSet(
      prompts,
      { seed, perType: positiveInt('per-type', values['per-type']) },
      values.from,
    ),
    tightCount: positiveInt('tight', values.tight),
  };
});

const tight = tightSet(createRng(input.seed + 1), input.prompts, input.tightCount);
writeJsonl(input.out, input.redundant);
writeJsonl(input['tight-out'], tight);
console.log(
  `[eval:tokens:build] ${input.redundant.length} lines → ${input.out}; ${tight.length} lines → ${input['tight-out']} (seed ${input.seed}, from ${input.from})`,
);
