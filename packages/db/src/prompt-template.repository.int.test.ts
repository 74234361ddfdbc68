import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from './client';
import {
  deletePromptTemplate,
  getPromptTemplate,
  putPromptTemplate,
} from './prompt-template.repository';
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

describe('prompt template repository (real Postgres)', () => {
  it('stores, replaces, reads and deletes a template, tenant-scoped', async () => {
    const first = await putPromptTemplate(prisma, {
      tenantId: 'tenant_a',
      id: 'greet',
      template: 'Hi {{user.name}}. {{input}}',
      features: ['user.name'],
    });
    expect(first).toEqual({
      tenantId: 'tenant_a',
      id: 'greet',
      template: 'Hi {{user.name}}. {{input}}',
      features: ['user.name'],
      updatedAt: expect.any(Date),
    });
    await putPromptTemplate(prisma, {
      tenantId: 'tenant_b',
      id: 'greet',
      template: 'B',
      features: [],
    });
    const replaced = await putPromptTemplate(prisma, {
      tenantId: 'tenant_a',
      id: 'greet',
      template: 'Hello {{user.plan}}',
      features: ['user.plan'],
    });
    expect(await getPromptTemplate(prisma, 'tenant_a', 'greet')).toEqual(replaced);
    expect((await getPromptTemplate(prisma, 'tenant_b', 'greet'))?.template).toBe('B');
    expect(await getPromptTemplate(prisma, 'tenant_c', 'greet')).toBeNull();

    expect(await deletePromptTemplate(prisma, 'tenant_a', 'greet')).toBe(true);
    expect(await deletePromptTemplate(prisma, 'tenant_a', 'greet')).toBe(false);
    expect(await getPromptTemplate(prisma, 'tenant_a', 'greet')).toBeNull();
    expect((await getPromptTemplate(prisma, 'tenant_b', 'greet'))?.template).toBe('B');
  });
});
