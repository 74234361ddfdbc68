import type { AuditEvent } from '@asahi/contracts';
import type { PrismaClient } from './client';
import type { Prisma } from './generated/prisma/client';
import { canonicalJson, sha256Hex } from './hash';
import { toNumber, type AuditEventRow } from './rows';

/**
 * Audit events form a per-tenant hash chain in `seq` order: hash = sha256(prevHash + "\n" +
 * canonical event), prevHash = the tenant's previous hash ('' for the first). Altering, deleting
 * or reordering a stored event breaks every later link, which `verifyAuditChain` detects.
 * Appends are idempotent on the event id; a duplicate never extends the chain.
 */
export type AuditEventInput = Pick<
  AuditEvent,
  'eventId' | 'requestId' | 'tenantId' | 'type' | 'at' | 'data'
>;

interface ChainFields {
  id: string;
  tenantId: string;
  requestId: string;
  type: string;
  at: Date;
  data: Record<string, unknown>;
}

export function auditEventHash(prevHash: string | null, e: ChainFields): string {
  const canonical = canonicalJson({
    id: e.id,
    tenantId: e.tenantId,
    requestId: e.requestId,
    type: e.type,
    at: e.at,
    data: e.data,
  });
  return sha256Hex(`${prevHash ?? ''}\n${canonical}`);
}

/** Stores the events not stored yet, in input order per tenant; returns how many were new. */
export async function appendAuditEvents(
  prisma: PrismaClient,
  events: AuditEventInput[],
): Promise<{ inserted: number }> {
  const byTenant = new Map<string, ChainFields[]>();
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    // Stored at millisecond precision (timestamptz(3)), so hash what will be read back.
    const fields = {
      id: e.eventId,
      tenantId: e.tenantId,
      requestId: e.requestId,
      type: e.type,
      at: new Date(e.at),
      data: e.data ?? {},
    };
    byTenant.set(e.tenantId, [...(byTenant.get(e.tenantId) ?? []), fields]);
  }
  let inserted = 0;
  // Tenants in a fixed order so two batches never wait on each other's locks in a cycle.
  for (const tenantId of [...byTenant.keys()].sort()) {
    inserted += await appendForTenant(prisma, tenantId, byTenant.get(tenantId) ?? []);
  }
  return { inserted };
}

async function appendForTenant(
  prisma: PrismaClient,
  tenantId: string,
  events: ChainFields[],
): Promise<number> {
  return prisma.$transaction(
    async (tx) => {
      // Serialises appends per tenant: the head we read stays the head until we commit.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`asahi:audit:${tenantId}`}::text, 0))`;
      const existing = await tx.auditEvent.findMany({
        where: { id: { in: events.map((e) => e.id) } },
        select: { id: true },
      });
      const known = new Set(existing.map((e) => e.id));
      const fresh = events.filter((e) => !known.has(e.id));
      if (fresh.length === 0) return 0;
      const head = await tx.auditEvent.findFirst({
        where: { tenantId },
        orderBy: { seq: 'desc' },
        select: { hash: true },
      });
      // Sequence numbers drawn under the lock are above every earlier event of this tenant.
      const seqs = await tx.$queryRaw<{ seq: bigint }[]>`
      SELECT nextval(pg_get_serial_sequence('audit_events', 'seq')) AS seq FROM generate_series(1, ${fresh.length}::int) ORDER BY 1`;
      let prevHash = head?.hash ?? null;
      const rows = fresh.map((e, i): Prisma.AuditEventCreateManyInput => {
        const hash = auditEventHash(prevHash, e);
        const row = {
          ...e,
          data: e.data as Prisma.InputJsonObject,
          seq: seqs[i]!.seq,
          prevHash,
          hash,
        };
        prevHash = hash;
        return row;
      });
      const { count } = await tx.auditEvent.createMany({ data: rows });
      return count;
    },
    { timeout: 10_000 },
  );
}

export async function listAuditEvents(
  prisma: PrismaClient,
  tenantId: string,
  requestId: string,
): Promise<AuditEventRow[]> {
  const rows = await prisma.auditEvent.findMany({
    where: { tenantId, requestId },
    orderBy: { seq: 'asc' },
  });
  return rows.map((r) => ({ ...r, seq: toNumber(r.seq), data: r.data as Record<string, unknown> }));
}

export type AuditChainReport =
  { ok: true; checked: number } | { ok: false; checked: number; brokenAt: string };

/** Recomputes a tenant's chain in pages; reports the first event whose link does not hold. */
export async function verifyAuditChain(
  prisma: PrismaClient,
  tenantId: string,
  pageSize = 1000,
): Promise<AuditChainReport> {
  let prevHash: string | null = null;
  let afterSeq: bigint | undefined;
  let checked = 0;
  for (;;) {
    const page = await prisma.auditEvent.findMany({
      where: { tenantId, ...(afterSeq !== undefined ? { seq: { gt: afterSeq } } : {}) },
      orderBy: { seq: 'asc' },
      take: pageSize,
    });
    for (const e of page) {
      const data = e.data as Record<string, unknown>;
      if (e.prevHash !== prevHash || e.hash !== auditEventHash(prevHash, { ...e, data }))
        return { ok: false, checked, brokenAt: e.id };
      prevHash = e.hash;
      checked++;
    }
    if (page.length < pageSize) return { ok: true, checked };
    afterSeq = page[page.length - 1]!.seq;
  }
}
