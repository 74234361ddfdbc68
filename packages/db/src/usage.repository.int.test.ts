import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from './client';
import { createTestDatabase, type TestDatabase } from './test-database';
import { listUsage, recordUsage, recordUsageBatch, type UsageInput } from './usage.repository';

let t: TestDatabase;
let prisma: PrismaClient;
let seq = 0;
const uid = (p: string) => `${p}_${Date.now().toString(36)}_${++seq}`;

beforeAll(async () => {
  t = await createTestDatabase();
  prisma = t.db.prisma;
});
afterAll(async () => {
  await t?.drop();
});

describe('usage', () => {
  const usage = (over: Partial<UsageInput>): UsageInput => ({
    key: uid('u'),
    tenantId: 'tenant_u',
    model: 'm1',
    at: '2026-11-22T10:15:00.000Z',
    requests: 1,
    succeeded: 1,
    failed: 0,
    cacheHits: 0,
    providerCalls: 0,
    promptTokens: 10,
    completionTokens: 5,
    costUsd: 0.1,
    baselineCostUsd: 0.2,
    ...over,
  });

  it('counts each key once (sequential, concurrent and within a batch) in its UTC hour', async () => {
    const a = usage({
      key: 'k-a',
      savings: { cache: 0.05, intermediate: 0.004, routing: 0.01, tokens: 0.002, batch: 0.03 },
      originalPromptTokens: 14,
    });
    expect(await recordUsage(prisma, a)).toEqual({ counted: true });
    expect(await recordUsage(prisma, a)).toEqual({ counted: false });
    // A routing saving may be negative (a dearer model was chosen to meet the quality floor).
    const b = usage({
      key: 'k-b',
      at: '2026-11-22T10:59:59.999Z',
      costUsd: 0.2,
      cacheHits: 1,
      savings: { cache: 0.2, routing: -0.004 },
    });
    const concurrent = await Promise.all([1, 2, 3].map(() => recordUsage(prisma, b)));
    expect(concurrent.filter((c) => c.counted)).toHaveLength(1);
    const c = usage({
      key: 'k-c',
      at: '2026-11-22T11:00:00.000Z',
      failed: 1,
      succeeded: 0,
      promptTokens: 3_000_000_000,
    });
    const d = usage({ key: 'k-d', at: '2026-11-22T12:30:00+01:00', model: 'm2' }); // 11:30 UTC
    expect(await recordUsageBatch(prisma, [c, c, d, a])).toEqual({ countedKeys: ['k-c', 'k-d'] });

    const rows = await listUsage(
      prisma,
      'tenant_u',
      new Date('2026-11-22T10:00:00Z'),
      new Date('2026-11-22T12:00:00Z'),
    );
    expect(rows.map(({ updatedAt: _, ...r }) => r)).toEqual([
      {
        tenantId: 'tenant_u',
        model: 'm1',
        hour: new Date('2026-11-22T10:00:00Z'),
        requests: 2,
        succeeded: 2,
        failed: 0,
        cacheHits: 1,
        providerCalls: 0,
        promptTokens: 20,
        completionTokens: 10,
        costUsd: 0.3,
        baselineCostUsd: 0.4,
        savedCacheUsd: 0.25,
        savedIntermediateUsd: 0.004,
        savedRoutingUsd: 0.006,
        savedTokensUsd: 0.002,
        savedBatchUsd: 0.03,
        originalPromptTokens: 24,
      },
      {
        tenantId: 'tenant_u',
        model: 'm1',
        hour: new Date('2026-11-22T11:00:00Z'),
        requests: 1,
        succeeded: 0,
        failed: 1,
        cacheHits: 0,
        providerCalls: 0,
        promptTokens: 3_000_000_000,
        completionTokens: 5,
        costUsd: 0.1,
        baselineCostUsd: 0.2,
        savedCacheUsd: 0,
        savedIntermediateUsd: 0,
        savedRoutingUsd: 0,
        savedTokensUsd: 0,
        savedBatchUsd: 0,
        originalPromptTokens: 3_000_000_000,
      },
      {
        tenantId: 'tenant_u',
        model: 'm2',
        hour: new Date('2026-11-22T11:00:00Z'),
        requests: 1,
        succeeded: 1,
        failed: 0,
        cacheHits: 0,
        providerCalls: 0,
        promptTokens: 10,
        completionTokens: 5,
        costUsd: 0.1,
        baselineCostUsd: 0.2,
        savedCacheUsd: 0,
        savedIntermediateUsd: 0,
        savedRoutingUsd: 0,
        savedTokensUsd: 0,
        savedBatchUsd: 0,
        originalPromptTokens: 10,
      },
    ]);
    expect(
      await listUsage(
        prisma,
        'tenant_u',
        new Date('2026-11-22T10:30:00Z'),
        new Date('2026-11-22T11:00:00Z'),
      ),
    ).toEqual([]);
  });
});
