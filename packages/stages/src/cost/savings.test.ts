import { describe, expect, it } from 'vitest';
import { accountCacheHit, accountCost } from './savings';

// Prices per 1M tokens (contracts MODEL_CATALOG): gpt-4o 2.5/10, gpt-4o-mini 0.15/0.6.
const usage = { promptTokens: 1_000_000, completionTokens: 100_000 };
const sum = (s: Record<string, number>) => Object.values(s).reduce((a, b) => a + b, 0);

describe('accountCost', () => {
  it.each([
    {
      name: 'no stage changed anything',
      input: { baselineModel: 'gpt-4o', model: 'gpt-4o', usage },
      cost: 3.5,
      baseline: 3.5,
      savings: { tokens: 0, routing: 0, batch: 0 },
    },
    {
      name: 'routing to a cheaper model',
      input: { baselineModel: 'gpt-4o', model: 'gpt-4o-mini', usage },
      cost: 0.21,
      baseline: 3.5,
      savings: { tokens: 0, routing: 3.29, batch: 0 },
    },
    {
      name: 'token optimization halved the prompt',
      input: {
        baselineModel: 'gpt-4o',
        model: 'gpt-4o',
        usage,
        tokens: { original: 200, optimized: 100, strategies: ['dedupe'] },
      },
      cost: 3.5,
      baseline: 6,
      savings: { tokens: 2.5, routing: 0, batch: 0 },
    },
    {
      name: 'batch API on the same model',
      input: { baselineModel: 'gpt-4o', model: 'gpt-4o', usage, batch: true },
      cost: 1.75,
      baseline: 3.5,
      savings: { tokens: 0, routing: 0, batch: 1.75 },
    },
    {
      name: 'routing up to a pricier model costs a negative saving',
      input: { baselineModel: 'gpt-4o-mini', model: 'gpt-4o', usage },
      cost: 3.5,
      baseline: 0.21,
      savings: { tokens: 0, routing: -3.29, batch: 0 },
    },
  ])('$name', ({ input, cost, baseline, savings }) => {
    const out = accountCost(input);
    expect(out.costUsd).toBeCloseTo(cost, 9);
    expect(out.baselineCostUsd).toBeCloseTo(baseline, 9);
    for (const [k, v] of Object.entries(savings))
      expect(out.savings[k as keyof typeof out.savings]).toBeCloseTo(v, 9);
    // The parts always add up to the whole.
    expect(sum(out.savings)).toBeCloseTo(out.baselineCostUsd - out.costUsd, 9);
  });
});

describe('accountCacheHit', () => {
  it.each(['cache', 'intermediate'] as const)('attributes the whole baseline to %s', (tier) => {
    const out = accountCacheHit(0.42, tier);
    expect(out).toMatchObject({ costUsd: 0, baselineCostUsd: 0.42 });
    expect(out.savings[tier]).toBe(0.42);
    expect(sum(out.savings)).toBeCloseTo(0.42, 12);
  });
});
