import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from './client';
import { deleteFeature, getFeature, putFeature } from './feature.repository';
import { createTestDatabase, type TestDatabase } from './test-database';

let t: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  t = await createTestDatabase();
  prisma = t.db.prisma;
});
afterAll(async () => {
  await t?.drop();
});

describe('feature repository (real Postgres)', () => {
  it('stores, reads back and replaces an entity’s values (PUT semantics)', async () => {
    const values = { name: 'Ada', plan: 'pro', seats: 12, trial: false, note: null };
    const stored = await putFeature(prisma, {
      tenantId: 'tenant_a',
      entityType: 'user',
      entityId: 'u-1',
      values,
    });
    expect(stored).toEqual({
      tenantId: 'tenant_a',
      entityType: 'user',
      entityId: 'u-1',
      values,
      updatedAt: expect.any(Date),
    });
    expect(await getFeature(prisma, 'tenant_a', 'user', 'u-1')).toEqual(stored);

    const replaced = await putFeature(prisma, {
      tenantId: 'tenant_a',
      entityType: 'user',
      entityId: 'u-1',
      values: { plan: 'enterprise' },
    });
    expect(replaced.values).toEqual({ plan: 'enterprise' });
    expect(replaced.updatedAt.getTime()).toBeGreaterThanOrEqual(stored.updatedAt.getTime());
    expect((await getFeature(prisma, 'tenant_a', 'user', 'u-1'))?.values).toEqual({
      plan: 'enterprise',
    });
  });

  it('keeps tenants and entity types apart', async () => {
    await putFeature(prisma, {
      tenantId: 'tenant_a',
      entityType: 'organization',
      entityId: 'x',
      values: { v: 'A' },
    });
    await putFeature(prisma, {
      tenantId: 'tenant_b',
      entityType: 'organization',
      entityId: 'x',
      values: { v: 'B' },
    });
    expect((await getFeature(prisma, 'tenant_a', 'organization', 'x'))?.values).toEqual({ v: 'A' });
    expect((await getFeature(prisma, 'tenant_b', 'organization', 'x'))?.values).toEqual({ v: 'B' });
    expect(await getFeature(prisma, 'tenant_c', 'organization', 'x')).toBeNull();
    expect(await getFeature(prisma, 'tenant_a', 'user', 'x')).toBeNull();

    // A tenant cannot delete another tenant's record.
    expect(await deleteFeature(prisma, 'tenant_b', 'organization', 'x')).toBe(true);
    expect(await deleteFeature(prisma, 'tenant_b', 'organization', 'x')).toBe(false);
    expect((await getFeature(prisma, 'tenant_a', 'organization', 'x'))?.values).toEqual({ v: 'A' });
  });

  it('returns only scalar values, whatever a hand-edited row holds', async () => {
    await prisma.feature.create({
      data: {
        tenantId: 'tenant_a',
        entityType: 'user',
        entityId: 'hand-edited',
        values: { ok: 'yes', nested: { a: 1 }, list: [1, 2], n: 3 },
      },
    });
    expect((await getFeature(prisma, 'tenant_a', 'user', 'hand-edited'))?.values).toEqual({
      ok: 'yes',
      n: 3,
    });
  });
});
