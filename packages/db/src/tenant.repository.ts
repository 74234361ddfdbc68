import type { PrismaClient } from './client';
import { toTenantRow, type TenantRow } from './rows';

export interface UpsertTenantInput {
  id: string;
  name: string;
  /** Replaces the stored settings when given; left alone when omitted. */
  settings?: Record<string, unknown>;
}

export async function upsertTenant(
  prisma: PrismaClient,
  input: UpsertTenantInput,
): Promise<TenantRow> {
  const settings = input.settings as object | undefined;
  const tenant = await prisma.tenant.upsert({
    where: { id: input.id },
    create: { id: input.id, name: input.name, settings: settings ?? {} },
    update: { name: input.name, ...(settings ? { settings } : {}) },
  });
  return toTenantRow(tenant);
}

export async function getTenant(prisma: PrismaClient, id: string): Promise<TenantRow | null> {
  const tenant = await prisma.tenant.findUnique({ where: { id } });
  return tenant ? toTenantRow(tenant) : null;
}
