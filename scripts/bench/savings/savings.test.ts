import { describe, expect, it } from 'vitest';
import { InputError } from '../../eval/cli-input';
import { diffCounts, scoreRun, semanticOutcomes, type Answered } from './score';
import {
  buildWorkload,
  DEFAULT_WORKLOAD,
  planWorkload,
  type PairRow,
  type PromptRow,
  type WorkloadItem,
} from './workload';

const promptsOf = (n: number, long: (i: number) => boolean): PromptRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    prompt: `Question number ${i}: ${'why is the sky blue and the sea green? '.repeat(long(i) ? 20 : 1)}`,
  }));
const pairsOf = (n: number): PairRow[] =>
  Array.from({ length: n }, (_, i) => ({
    a: `Pair question ${i}?`,
    b: `Pair question ${i}, rephrased?`,
    duplicate: i % 2 === 0,
  }));

const FIXTURES = {
  'many pairs, some documents': {
    prompts: promptsOf(120, (i) => i % 40 === 0),
    pairs: pairsOf(500),
  },
  'few pairs': { prompts: promptsOf(120, (i) => i % 40 === 0), pairs: pairsOf(7) },
  'no pairs': { prompts: promptsOf(120, (i) => i % 40 === 0), pairs: [] },
  'short prompts only, no documents': { prompts: promptsOf(30, () => false), pairs: pairsOf(60) },
  'one usable prompt among unusable ones': {
    prompts: [{ id: 'short', prompt: 'hi' }, ...promptsOf(1, () => false)],
    pairs: pairsOf(3),
  },
};
const SIZES = [1, 2, 3, 10, 57, 400, 1500];

const countKinds = (items: WorkloadItem[]) => {
  const n = (k: WorkloadItem['kind']) => items.filter((i) => i.kind === k).length;
  return {
    repeat: n('repeat'),
    rephrase: n('rephrase'),
    pairs: n('pair-a'),
    context: n('context'),
    steps: n('steps'),
    enriched: n('enriched'),
    pairB: n('pair-b'),
  };
};

describe('planWorkload', () => {
  const share = DEFAULT_WORKLOAD.share;
  it.each([
    [
      'the default run',
      1500,
      share,
      3000,
      { repeat: 600, rephrase: 120, pairs: 225, context: 150, steps: 105, enriched: 75 },
    ],
    [
      'fewer pairs than the share wants: repeats fill in',
      400,
      share,
      50,
      { repeat: 180, rephrase: 32, pairs: 50, context: 40, steps: 28, enriched: 20 },
    ],
    [
      'no pairs',
      400,
      share,
      0,
      { repeat: 280, rephrase: 32, pairs: 0, context: 40, steps: 28, enriched: 20 },
    ],
    [
      'one request',
      1,
      share,
      10,
      { repeat: 1, rephrase: 0, pairs: 0, context: 0, steps: 0, enriched: 0 },
    ],
    [
      'ten requests: every share rounds to one',
      10,
      share,
      10,
      { repeat: 4, rephrase: 1, pairs: 1, context: 1, steps: 1, enriched: 1 },
    ],
    [
      'shares above 100%: later kinds get what is left',
      10,
      { rephrase: 0.5, pairs: 0.5, context: 0.5, steps: 0.5, enriched: 0.5 },
      10,
      { repeat: 0, rephrase: 5, pairs: 2, context: 1, steps: 0, enriched: 0 },
    ],
  ])('%s', (_name, requests, shares, pairsAvailable, expected) => {
    const plan = planWorkload(requests, shares, pairsAvailable);
    expect(plan).toEqual(expected);
    const { pairs, ...singles } = plan;
    expect(Object.values(singles).reduce((a, b) => a + b, 0) + 2 * pairs).toBe(requests);
  });
});

describe('buildWorkload', () => {
  const cases = Object.entries(FIXTURES).flatMap(([name, f]) =>
    SIZES.map((requests) => [name, requests, f] as const),
  );
  it.each(cases)('%s, %i requests: exactly that many, in the planned mix', (_n, requests, f) => {
    const options = { ...DEFAULT_WORKLOAD, requests, distinctPrompts: 50 };
    const items = buildWorkload(f.prompts, f.pairs, options);
    expect(items).toHaveLength(requests);
    const { pairB, ...kinds } = countKinds(items);
    expect(kinds).toEqual(planWorkload(requests, options.share, f.pairs.length));
    expect(pairB).toBe(kinds.pairs);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const { prompts, pairs } = FIXTURES['many pairs, some documents'];
    const options = { ...DEFAULT_WORKLOAD, requests: 400, distinctPrompts: 50 };
    const a = buildWorkload(prompts, pairs, options);
    expect(buildWorkload(prompts, pairs, options)).toEqual(a);
    expect(buildWorkload(prompts, pairs, { ...options, seed: 8 })).not.toEqual(a);
  });

  it.each(Object.entries(FIXTURES))('%s: always sends a pair’s a before its b', (_n, f) => {
    const items = buildWorkload(f.prompts, f.pairs, { ...DEFAULT_WORKLOAD, requests: 400 });
    for (const [i, item] of items.entries())
      if (item.kind === 'pair-b')
        expect(items.findIndex((x) => x.answerGroup === item.pairOf)).toBeLessThan(i);
  });

  it('refuses prompts of which none is usable, saying why', () => {
    const call = () => buildWorkload([{ id: 'x', prompt: 'hi' }], pairsOf(5), DEFAULT_WORKLOAD);
    expect(call).toThrow(InputError);
    expect(call).toThrow('no prompt of 20–4000 characters among 1');
  });
});

describe('scoreRun', () => {
  const answered = (
    item: Partial<Answered['item']>,
    content: string,
    cacheTier = 'none',
  ): Answered => ({
    item: { kind: 'repeat', answerGroup: 'g', body: {}, ...item },
    tenant: 't',
    status: 'succeeded',
    cacheTier,
    content,
    costUsd: cacheTier === 'none' ? 1 : 0,
    baselineCostUsd: 1,
    savings: cacheTier === 'none' ? null : { cache: 1 },
    tokens: { original: 10, optimized: 8 },
    routing: null,
    timings: { prepare: 5 },
  });
  it('counts a hit serving another group’s answer as wrong, and a labelled duplicate as right', () => {
    const r = scoreRun([
      answered({ kind: 'pair-a', answerGroup: 'pa:1' }, 'A1'),
      answered(
        { kind: 'pair-b', answerGroup: 'pa:1', duplicate: true, pairOf: 'pa:1' },
        'A1',
        'semantic',
      ),
      answered({ kind: 'pair-a', answerGroup: 'pa:2' }, 'A2'),
      answered(
        { kind: 'pair-b', answerGroup: 'pb:2', duplicate: false, pairOf: 'pa:2' },
        'A2',
        'semantic',
      ),
      answered({ answerGroup: 'p:3' }, 'A3'),
      answered({ kind: 'enriched', answerGroup: 'e:u:3', alsoRight: ['p:3'] }, 'A3', 'exact'),
      // An enriched request that fell back first, then the plain prompt: the same answer, right.
      answered({ kind: 'enriched', answerGroup: 'e:u:4', alsoRight: ['p:4'] }, 'A4'),
      answered({ answerGroup: 'p:4' }, 'A4', 'exact'),
    ]);
    expect(r.wrongHits).toBe(1);
    expect(r.labelledPairs).toMatchObject({
      duplicatesServedFromCache: 1,
      nonDuplicatesServedFromCache: 1,
    });
    expect(r.hits).toMatchObject({ semantic: 2, exact: 2 });
    expect(r.savingsPercent).toBe(50);
    expect(r.tokenReductionPercent).toBe(20);
  });
});

describe('semantic-tier outcomes from the pipeline metrics', () => {
  const text = [
    '# HELP asahi_cache_lookups_total Cache lookups',
    'asahi_cache_lookups_total{tier="exact",outcome="hit"} 7',
    'asahi_cache_lookups_total{tier="semantic",outcome="hit"} 3',
    'asahi_cache_lookups_total{tier="semantic",outcome="timeout"} 2',
    'asahi_cache_lookups_total{outcome="miss",tier="semantic"} 10',
  ].join('\n');
  it('counts only the semantic tier, by outcome, whatever the label order', () => {
    expect(semanticOutcomes(text)).toEqual({ hit: 3, timeout: 2, miss: 10 });
  });
  it('diffs two scrapes; an outcome first seen in the second counts from 0', () => {
    expect(diffCounts({ hit: 5, timeout: 1 }, { hit: 3 })).toEqual({ hit: 2, timeout: 1 });
  });
});
