import { optimizeTokens } from '@asahi/stages';
import { InputError } from '../cli-input';
import { fewShot, multiTurn, poolsOf, repeatedDocument, type PromptPools } from './builders';
import { createRng, type Rng } from './rng';
import { user, type TokenSetLine } from './token-set';

/** How the sets are drawn: the same seed and sizes always build the same sets. */
export interface SetOptions {
  seed: number;
  /** Lines of each redundant type (multi-turn, repeated-document, few-shot). */
  perType: number;
}

type Builder = (rng: Rng, pools: PromptPools, id: string) => TokenSetLine;
const BUILDERS: readonly [string, Builder][] = [
  ['mt', multiTurn],
  ['rd', repeatedDocument],
  ['fs', fewShot],
];

/**
 * The builders draw documents, follow-up questions (two at a time) and few-shot examples from
 * their pools; a prompts file without enough of each cannot make the set.
 */
export function checkPools(pools: PromptPools, source: string): void {
  const missing = [
    pools.long.length < 1 && 'one prompt of 800–6,000 characters (a document to repeat)',
    pools.short.length < 2 && 'two prompts of 15–199 characters (follow-up questions)',
    pools.examples.length < 1 &&
      'one prompt of 80–700 characters without code (a few-shot example)',
  ].filter((x): x is string => typeof x === 'string');
  if (missing.length > 0)
    throw new InputError(
      `${source}: too few prompts to build the redundant-context set; need at least ${missing.join('; ')}`,
    );
}

/** The redundant-context set: `perType` lines of each type, ids `mt-001`, `rd-001`, `fs-001`…. */
export function redundantSet(rng: Rng, pools: PromptPools, perType: number): TokenSetLine[] {
  const lines: TokenSetLine[] = [];
  for (const [prefix, build] of BUILDERS)
    for (let i = 1; i <= perType; i++)
      lines.push(build(rng, pools, `${prefix}-${String(i).padStart(3, '0')}`));
  return lines;
}

/** The redundant-context set of `npm run eval:tokens:build`, from raw prompts. */
export function buildRedundantSet(
  prompts: readonly string[],
  options: SetOptions,
  source: string,
): TokenSetLine[] {
  const pools = poolsOf(prompts);
  checkPools(pools, source);
  return redundantSet(createRng(options.seed), pools, options.perType);
}

/** Real prompts, one per request, after one safe pass: already as tight as safe mode makes them. */
export function tightSet(rng: Rng, prompts: readonly string[], count: number): TokenSetLine[] {
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
