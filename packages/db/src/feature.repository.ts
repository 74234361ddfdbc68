import type { PrismaClient } from './client';
import type { Feature } from './generated/prisma/client';

/**
 * Feature values of one entity of a tenant (`features`, key tenant + entity type + entity id),
 * the Postgres side of prompt enrichment. The pipeline reads them through a Redis read-through
 * cache; whoever writes here must then bump the entry's generation and delete the entry (the
 * ingest API does, see its enrichment-store.ts).
 */
export type FeatureScalar = string | number | boolean | null;

export interface FeatureRow {
  tenantId: string;
  entityType: string;
  entityId: string;
  values: Record<string, FeatureScalar>;
  updatedAt: Date;
}

export interface PutFeatureInput {
  tenantId: string;
  entityType: string;
  entityId: string;
  /** Replaces the stored values entirely (PUT semantics), validated by the caller. */
  values: Record<string, FeatureScalar>;
}

export async function putFeature(
  prisma: PrismaClient,
  input: PutFeatureInput,
): Promise<FeatureRow> {
  const { tenantId, entityType, entityId, values } = input;
  const row = await prisma.feature.upsert({
    where: { tenantId_entityType_entityId: { tenantId, entityType, entityId } },
    create: { tenantId, entityType, entityId, values },
    update: { values },
  });
  return toFeatureRow(row);
}

export async function getFeature(
  prisma: PrismaClient,
  tenantId: string,
  entityType: string,
  entityId: string,
): Promise<FeatureRow | null> {
  const row = await prisma.feature.findUnique({
    where: { tenantId_entityType_entityId: { tenantId, entityType, entityId } },
  });
  return row ? toFeatureRow(row) : null;
}

/** False when the tenant has no such record. */
export async function deleteFeature(
  prisma: PrismaClient,
  tenantId: string,
  entityType: string,
  entityId: string,
): Promise<boolean> {
  const { count } = await prisma.feature.deleteMany({ where: { tenantId, entityType, entityId } });
  return count > 0;
}

const isScalar = (v: unknown): v is FeatureScalar =>
  v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** Only scalar entries survive, so a row edited by hand cannot put objects into a prompt. */
function toFeatureRow(row: Feature): FeatureRow {
  const raw = row.values;
  const values: Record<string, FeatureScalar> = {};
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [key, value] of Object.entries(raw)) if (isScalar(value)) values[key] = value;
  }
  return { ...row, values };
}
