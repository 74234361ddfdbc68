import { describe, expect, it } from 'vitest';
import { normaliseWeights } from './model-choice';

describe('normaliseWeights', () => {
  it.each([
    ['none given: equal thirds', undefined, [1 / 3, 1 / 3, 1 / 3]],
    ['all zero: equal thirds', { quality: 0, latency: 0, cost: 0 }, [1 / 3, 1 / 3, 1 / 3]],
    ['one given: all of it', { cost: 0.4 }, [0, 0, 1]],
    ['scaled to sum 1', { quality: 1, latency: 0.5, cost: 0.5 }, [0.5, 0.25, 0.25]],
  ])('%s', (_, prefer, [quality, latency, cost]) => {
    const w = normaliseWeights(prefer);
    expect([w.quality, w.latency, w.cost].map((x) => x.toFixed(6))).toEqual(
      [quality, latency, cost].map((x) => (x as number).toFixed(6)),
    );
  });
});
