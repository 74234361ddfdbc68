import { describe, expect, it } from 'vitest';
import { auditEventSchema, fixtures, resultMessageSchema } from '@asahi/contracts';
import { usageFromAudit, usageFromResult } from './usage-delta';

const result = resultMessageSchema.parse(fixtures.result());
const audit = auditEventSchema.parse(fixtures.audit());

describe('usageFromResult', () => {
  it.each([
    [
      'a realtime success',
      {},
      { requests: 1, succeeded: 1, failed: 0, cacheHits: 0, promptTokens: 24, completionTokens: 2 },
    ],
    [
      'a cache hit bills no tokens',
      { cacheTier: 'exact' as const, costUsd: 0 },
      {
        cacheHits: 1,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        baselineCostUsd: result.baselineCostUsd,
      },
    ],
    [
      'a semantic hit carries its cache saving',
      {
        cacheTier: 'semantic' as const,
        costUsd: 0,
        savings: { cache: 0.5, intermediate: 0, routing: 0, tokens: 0, batch: 0 },
      },
      { cacheHits: 1, originalPromptTokens: 0, savings: { cache: 0.5 } },
    ],
    [
      'an optimized prompt reports its original size, scaled to the provider count',
      { tokens: { original: 300, optimized: 200, strategies: ['dedupe-blocks'] } },
      { promptTokens: 24, originalPromptTokens: 36 },
    ],
    ['without a token report the original is the billed count', {}, { originalPromptTokens: 24 }],
    ['a failure', { status: 'failed' as const }, { succeeded: 0, failed: 1 }],
    ['an expiry counts as failed', { status: 'expired' as const }, { failed: 1 }],
  ])('%s', (_c, patch, expected) => {
    expect(usageFromResult({ ...result, ...patch })).toMatchObject({
      key: `result:${result.requestId}`,
      ...expected,
    });
  });
});

describe('usageFromAudit', () => {
  it('counts provider attempts and ignores other events', () => {
    expect(
      usageFromAudit({ ...audit, type: 'provider.call', data: { model: 'gpt-4o', attempts: 3 } }),
    ).toMatchObject({ providerCalls: 3, model: 'gpt-4o', requests: 0 });
    expect(usageFromAudit(audit)).toBeNull();
  });
});
