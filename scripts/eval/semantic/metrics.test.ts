import { describe, expect, it } from 'vitest';
import {
  cosine,
  rates,
  rocAuc,
  splitOf,
  thresholdForFalseHitRate,
  type LabelledPair,
} from './metrics';

/** Pairs from labels only: the texts do not matter to the metrics. */
const labelled = (labels: readonly boolean[]): LabelledPair[] =>
  labels.map((duplicate, i) => ({ a: `a${i}`, b: `b${i}`, duplicate }));
const D = true;
const N = false;

describe('rates', () => {
  it.each([
    {
      name: 'one of each outcome',
      labels: [D, D, N, N],
      hit: [true, false, true, false],
      want: { hits: 2, trueHits: 1, falseHits: 1, precision: 0.5, recall: 0.5, falseHitRate: 0.5 },
    },
    {
      name: 'every duplicate served, no non-duplicate',
      labels: [D, D, N, N, N],
      hit: [true, true, false, false, false],
      want: { hits: 2, trueHits: 2, falseHits: 0, precision: 1, recall: 1, falseHitRate: 0 },
    },
    {
      name: 'only non-duplicates served',
      labels: [D, N, N, N],
      hit: [false, true, true, false],
      want: { hits: 2, trueHits: 0, falseHits: 2, precision: 0, recall: 0, falseHitRate: 2 / 3 },
    },
    {
      name: 'a hit list shorter than the pairs: the rest are misses',
      labels: [D, D, N],
      hit: [true],
      want: { hits: 1, trueHits: 1, falseHits: 0, precision: 1, recall: 0.5, falseHitRate: 0 },
    },
  ])('$name', ({ labels, hit, want }) => {
    const r = rates(labelled(labels), hit);
    expect(r).toMatchObject({ pairs: labels.length, duplicates: labels.filter(Boolean).length });
    expect(r).toMatchObject(want);
  });

  it.each([
    ['no hits: precision', [D, N], [false, false], 'precision'],
    ['no duplicates: recall', [N, N], [true, false], 'recall'],
    ['no non-duplicates: false-hit rate', [D, D], [true, false], 'falseHitRate'],
  ] as const)('is NaN where undefined (%s)', (_name, labels, hit, field) => {
    expect(rates(labelled(labels), hit)[field]).toBeNaN();
  });
});

/** What a plain threshold admits: hits are `similarity >= t`. */
const falseHitRateAt = (sims: number[], labels: boolean[], t: number) =>
  rates(
    labelled(labels),
    sims.map((s) => s >= t),
  ).falseHitRate;

describe('thresholdForFalseHitRate', () => {
  const SIMS = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6];
  const LABELS = [D, N, D, N, N, N];
  it.each([
    // negatives, highest first: 0.9, 0.8, 0.7, 0.6
    { name: 'target 0: above the highest negative', target: 0, above: 0.9, fhr: 0 },
    { name: 'target 1/4 admits one negative', target: 0.25, above: 0.8, fhr: 0.25 },
    { name: 'a target between steps rounds down', target: 0.49, above: 0.8, fhr: 0.25 },
    { name: 'target 1/2 admits two', target: 0.5, above: 0.7, fhr: 0.5 },
    { name: 'target 3/4 admits three', target: 0.75, above: 0.6, fhr: 0.75 },
  ])('$name', ({ target, above, fhr }) => {
    const t = thresholdForFalseHitRate(SIMS, labelled(LABELS), target)!;
    expect(t).toBeGreaterThan(above);
    expect(t).toBeCloseTo(above, 6);
    expect(falseHitRateAt(SIMS, LABELS, t)).toBe(fhr);
    // The lowest such threshold: the boundary negative itself would exceed the target.
    expect(falseHitRateAt(SIMS, LABELS, above)).toBeGreaterThan(target);
  });

  it.each([
    {
      name: 'negatives tied at the boundary are all kept out (never over the target)',
      sims: [0.95, 0.9, 0.9, 0.5, 0.5],
      labels: [D, N, N, N, N],
      target: 0.25,
      above: 0.9,
      fhr: 0,
    },
    {
      name: 'a duplicate tied with the boundary negative is kept out with it',
      sims: [0.8, 0.8, 0.4],
      labels: [D, N, N],
      target: 0,
      above: 0.8,
      fhr: 0,
    },
  ])('ties: $name', ({ sims, labels, target, above, fhr }) => {
    const t = thresholdForFalseHitRate(sims, labelled(labels), target)!;
    expect(t).toBeGreaterThan(above);
    expect(t).toBeCloseTo(above, 6);
    expect(falseHitRateAt(sims, labels, t)).toBe(fhr);
    expect(
      rates(
        labelled(labels),
        sims.map((s) => s >= t),
      ).trueHits,
    ).toBe(sims.filter((s, i) => labels[i] && s > above).length);
  });

  it('counts the allowance without float error (0.29 of 100 negatives is 29)', () => {
    const sims = Array.from({ length: 100 }, (_, i) => 1 - i / 100);
    const labels = sims.map(() => N);
    const t = thresholdForFalseHitRate(sims, labelled(labels), 0.29)!;
    expect(falseHitRateAt(sims, labels, t)).toBe(0.29);
  });

  it.each([
    ['a target that admits every negative: everything hits', [0.3, 0.2], [D, N], 1, -1],
    ['no negatives: no answer', [0.3, 0.2], [D, D], 0.01, null],
  ] as const)('%s', (_name, sims, labels, target, expected) => {
    expect(thresholdForFalseHitRate([...sims], labelled(labels), target)).toBe(expected);
  });
});

describe('rocAuc', () => {
  it.each([
    ['perfect separation', [0.9, 0.8, 0.2, 0.1], [D, D, N, N], 1],
    ['reversed', [0.1, 0.2, 0.8, 0.9], [D, D, N, N], 0],
    ['all tied: chance', [0.5, 0.5, 0.5, 0.5], [D, N, D, N], 0.5],
    ['3 of 4 positive-negative pairs ordered right', [0.9, 0.6, 0.7, 0.5], [D, D, N, N], 0.75],
    ['a positive tied with a negative counts half', [0.8, 0.8, 0.5], [D, N, N], 0.75],
  ])('%s → %s', (_name, sims, labels, auc) => {
    expect(rocAuc(sims, labelled(labels))).toBeCloseTo(auc, 10);
  });
});

describe('splitOf and cosine', () => {
  it('splits by seed and texts only, about half each way', () => {
    const pairs = labelled(Array.from({ length: 400 }, (_, i) => i % 2 === 0));
    const halves = pairs.map((p) => splitOf(p, 's'));
    expect(pairs.map((p) => splitOf({ ...p, duplicate: !p.duplicate }, 's'))).toEqual(halves);
    const tune = halves.filter((h) => h === 'tune').length;
    expect(tune).toBeGreaterThan(150);
    expect(tune).toBeLessThan(250);
    expect(pairs.map((p) => splitOf(p, 'other seed'))).not.toEqual(halves);
  });

  it.each([
    ['same unit vector', [0.6, 0.8], [0.6, 0.8], 1],
    ['orthogonal', [1, 0], [0, 1], 0],
    ['opposite', [1, 0], [-1, 0], -1],
  ])('cosine of unit vectors: %s', (_name, a, b, expected) => {
    expect(cosine(Float32Array.from(a), Float32Array.from(b))).toBeCloseTo(expected, 6);
  });
});
