import { describe, expect, it } from 'vitest';
import { tenantPolicyFromSettings } from './optimization';

const deadlines = (seconds: number) => ({ policy: { deadlines: { asyncSeconds: seconds } } });

describe('tenantPolicyFromSettings', () => {
  it('reads settings.policy; no settings or no policy is the empty policy', () => {
    expect(tenantPolicyFromSettings(deadlines(600)).deadlines).toEqual({ asyncSeconds: 600 });
    expect(tenantPolicyFromSettings(null)).toEqual({ cache: {}, routing: {} });
    expect(tenantPolicyFromSettings({ other: 1 })).toEqual({ cache: {}, routing: {} });
  });

  it('an invalid policy is reported and ignored', () => {
    const reported: string[] = [];
    const policy = tenantPolicyFromSettings({ policy: { deadlines: { syncSeconds: 0 } } }, (i) =>
      reported.push(i),
    );
    expect(policy.deadlines).toBeUndefined();
    expect(reported[0]).toMatch(/deadlines\.syncSeconds/);
  });
});

describe('tenant policy: optimization', () => {
  const read = (optimization: unknown) => {
    const reported: string[] = [];
    const policy = tenantPolicyFromSettings({ policy: { optimization } }, (i) => reported.push(i));
    return { optimization: policy.optimization, reported };
  };

  it.each([
    ['the original bare mode', 'off', 'off'],
    [
      'a block with a default and a ceiling',
      { mode: 'safe', maxMode: 'safe' },
      { mode: 'safe', maxMode: 'safe' },
    ],
    [
      'history budget and few-shot count',
      { historyBudgetTokens: 12_000, fewShotKeep: 5 },
      { historyBudgetTokens: 12_000, fewShotKeep: 5 },
    ],
  ])('reads %s', (_, stored, expected) => {
    expect(read(stored)).toEqual({ optimization: expected, reported: [] });
  });

  it.each([
    ['an unknown mode', 'max'],
    ['an unknown ceiling', { maxMode: 'extreme' }],
    ['a zero history budget', { historyBudgetTokens: 0 }],
    ['a fractional few-shot count', { fewShotKeep: 2.5 }],
    ['a negative few-shot count', { fewShotKeep: -1 }],
  ])('reports and ignores %s', (_, stored) => {
    const { optimization, reported } = read(stored);
    expect(optimization).toBeUndefined();
    expect(reported[0]).toMatch(/^optimization/);
  });
});
