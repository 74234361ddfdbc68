import { describe, expect, it } from 'vitest';
import { scoreRun, type Answered } from './score';
import { buildWorkload, DEFAULT_WORKLOAD, type PairRow, type PromptRow } from './workload';

const prompts: PromptRow[] = Array.from({ length: 120 }, (_, i) => ({
  id: `p${i}`,
  prompt: `Question number ${i}: ${'why is the sky blue and the sea green? '.repeat(i % 40 === 0 ? 20 : 1)}`,
}));
const pairs: PairRow[] = Array.from({ length: 50 }, (_, i) => ({
  a: `Pair question ${i}?`,
  b: `Pair question ${i}, rephrased?`,
  duplicate: i % 2 === 0,
}));

describe('buildWorkload', () => {
  const options = { ...DEFAULT_WORKLOAD, requests: 400, distinctPrompts: 50 };
  it('is deterministic for a seed and has the requested size and mix', () => {
    const a = buildWorkload(prompts, pairs, options);
    expect(buildWorkload(prompts, pairs, options)).toEqual(a);
    expect(a).toHaveLength(400);
    const kinds = new Set(a.map((i) => i.kind));
    for (const k of ['repeat', 'rephrase', 'pair-a', 'pair-b', 'context', 'steps', 'enriched'])
      expect(kinds.has(k as never)).toBe(true);
  });
  it('always sends a pair’s a before its b', () => {
    const items = buildWorkload(prompts, pairs, options);
    for (const [i, item] of items.entries())
      if (item.kind === 'pair-b')
        expect(items.findIndex((x) => x.answerGroup === item.pairOf)).toBeLessThan(i);
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
