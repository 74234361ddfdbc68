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
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { chatRequestSchema } from '@asahi/contracts';
import { optimizeTokens } from '@asahi/stages';
import { fewShot, multiTurn, poolsOf, repeatedDocument, type PromptPools } from './tokens/builders';
import { createRng, type Rng } from './tokens/rng';
import { user, type TokenSetLine } from './tokens/token-set';

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

function readPrompts(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { prompt: string }).prompt);
}

function writeJsonl(path: string, lines: readonly TokenSetLine[]): void {
  for (const line of lines) chatRequestSchema.parse(line.body);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

type Builder = (rng: Rng, pools: PromptPools, id: string) => TokenSetLine;
const BUILDERS: readonly [string, Builder][] = [
  ['mt', multiTurn],
  ['rd', repeatedDocument],
  ['fs', fewShot],
];

function redundantSet(rng: Rng, pools: PromptPools, perType: number): TokenSetLine[] {
  const lines: TokenSetLine[] = [];
  for (const [prefix, build] of BUILDERS)
    for (let i = 1; i <= perType; i++)
      lines.push(build(rng, pools, `${prefix}-${String(i).padStart(3, '0')}`));
  return lines;
}

/** Real prompts, one per request, after one safe pass: already as tight as safe mode makes them. */
function tightSet(rng: Rng, prompts: readonly string[], count: number): TokenSetLine[] {
  return rng
    .sample(
      prompts.filter((p) => p.trim() !== ''),
      count,
    )
    .map((prompt, i) => {
      const raw = { model: 'gpt-4o-mini', messages: [user(prompt)] };
      const { body } = optimizeTokens(raw, { mode: 'safe' });
      return { id: `tight-${String(i + 1).padStart(3, '0')}`, type: 'tight', body };
    });
}

const prompts = readPrompts(values.from);
const seed = Number(values.seed);
const redundant = redundantSet(createRng(seed), poolsOf(prompts), Number(values['per-type']));
const tight = tightSet(createRng(seed + 1), prompts, Number(values.tight));
writeJsonl(values.out, redundant);
writeJsonl(values['tight-out'], tight);
console.log(
  `[eval:tokens:build] ${redundant.length} lines → ${values.out}; ${tight.length} lines → ${values['tight-out']} (seed ${seed}, from ${values.from})`,
);
