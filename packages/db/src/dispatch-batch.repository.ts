import type { PrismaClient } from './client';
import type { DispatchBatch, DispatchBatchMember } from './generated/prisma/client';

/**
 * Provider Batch API jobs (`dispatch_batches`) and the requests inside them
 * (`dispatch_batch_members`), the durable state the batches worker drives: submit, poll, release
 * late members, collect. Member states only ever leave 'in_batch' through `transition`, one
 * conditional UPDATE, so whichever caller moves a member first owns its answer.
 */
export type DispatchBatchStatus = 'created' | 'submitted' | 'finished' | 'failed';
export type DispatchBatchMemberState = 'in_batch' | 'released' | 'answered' | 'failed' | 'requeued';

export interface DispatchBatchMemberInput {
  requestId: string;
  tenantId: string;
  /** The line's custom_id in the provider's input file, unique within the batch. */
  customId: string;
  deadlineAt: Date;
  /** The dispatch job data, stored as JSON and handed back as is. */
  payload: unknown;
}

export interface CreateDispatchBatchInput {
  id: string;
  provider: string;
  model: string;
  endpoint: string;
  expectedDoneAt: Date;
  members: DispatchBatchMemberInput[];
}

export interface DispatchBatchRow {
  id: string;
  provider: string;
  model: string;
  endpoint: string;
  status: DispatchBatchStatus;
  providerBatchId: string | null;
  inputFileId: string | null;
  /** The provider's last reported status string. */
  providerStatus: string | null;
  memberCount: number;
  createdAt: Date;
  submittedAt: Date | null;
  expectedDoneAt: Date;
  finishedAt: Date | null;
  /** Submission attempts. */
  attempts: number;
  lastError: string | null;
}

export interface DispatchBatchMemberRow {
  batchId: string;
  requestId: string;
  tenantId: string;
  customId: string;
  deadlineAt: Date;
  state: DispatchBatchMemberState;
  payload: unknown;
}

export interface MarkSubmittedInput {
  providerBatchId: string;
  inputFileId: string;
  submittedAt: Date;
}

/** Writes to an unknown batch id change nothing (no error): callers read `get` first. */
export interface DispatchBatchRepository {
  /**
   * One transaction: the batch (status 'created') and its members ('in_batch'). A request already
   * 'in_batch' in another batch is skipped. Returns the request ids recorded, in input order. When
   * none is recorded the batch row is not kept either (no empty batches). Repeating a call with
   * the same id changes nothing and returns the members already recorded.
   */
  create(input: CreateDispatchBatchInput): Promise<{ memberIds: string[] }>;
  get(id: string): Promise<DispatchBatchRow | null>;
  /** Ordered by deadline, then request id; all states unless `states` is given. */
  members(id: string, states?: DispatchBatchMemberState[]): Promise<DispatchBatchMemberRow[]>;
  /** created → submitted; no-op in any other status. */
  markSubmitted(id: string, input: MarkSubmittedInput): Promise<void>;
  /** attempts += 1, last_error = error (null clears it). */
  recordAttempt(id: string, error: string | null): Promise<void>;
  updateProviderStatus(id: string, providerStatus: string, expectedDoneAt?: Date): Promise<void>;
  /** Only from created/submitted: the first finish wins, a later one changes nothing. */
  finish(id: string, status: 'finished' | 'failed', at: Date): Promise<void>;
  /**
   * Moves members from 'in_batch' (only) to `to`; returns the ids that moved, in input order.
   * Concurrent callers on the same member get disjoint results: exactly one of them moves it.
   */
  transition(
    id: string,
    requestIds: string[],
    to: Exclude<DispatchBatchMemberState, 'in_batch'>,
  ): Promise<string[]>;
  /** Batches still created or submitted, oldest first. */
  unfinished(): Promise<DispatchBatchRow[]>;
}

const UNFINISHED: DispatchBatchStatus[] = ['created', 'submitted'];

export function createDispatchBatchRepository(prisma: PrismaClient): DispatchBatchRepository {
  return {
    create: (input) => createBatch(prisma, input),

    async get(id) {
      const row = await prisma.dispatchBatch.findUnique({ where: { id } });
      return row ? toBatchRow(row) : null;
    },

    async members(id, states) {
      const rows = await prisma.dispatchBatchMember.findMany({
        where: { batchId: id, ...(states ? { state: { in: states } } : {}) },
        orderBy: [{ deadlineAt: 'asc' }, { requestId: 'asc' }],
      });
      return rows.map(toMemberRow);
    },

    async markSubmitted(id, { providerBatchId, inputFileId, submittedAt }) {
      await prisma.dispatchBatch.updateMany({
        where: { id, status: 'created' },
        data: { status: 'submitted', providerBatchId, inputFileId, submittedAt },
      });
    },

    async recordAttempt(id, error) {
      await prisma.dispatchBatch.updateMany({
        where: { id },
        data: { attempts: { increment: 1 }, lastError: error },
      });
    },

    async updateProviderStatus(id, providerStatus, expectedDoneAt) {
      await prisma.dispatchBatch.updateMany({
        where: { id },
        data: { providerStatus, ...(expectedDoneAt ? { expectedDoneAt } : {}) },
      });
    },

    async finish(id, status, at) {
      await prisma.dispatchBatch.updateMany({
        where: { id, status: { in: UNFINISHED } },
        data: { status, finishedAt: at },
      });
    },

    async transition(id, requestIds, to) {
      if (requestIds.length === 0) return [];
      // Rows are locked in request id order (whatever plan each caller gets), so two callers
      // cannot deadlock. A caller that waited for a row re-checks `state = 'in_batch'` on the
      // committed version (READ COMMITTED) and leaves it out: the moved sets are disjoint.
      const moved = await prisma.$queryRaw<{ request_id: string }[]>`
        WITH locked AS (
          SELECT request_id FROM dispatch_batch_members
          WHERE batch_id = ${id} AND request_id = ANY(${requestIds}::text[]) AND state = 'in_batch'
          ORDER BY request_id
          FOR UPDATE
        )
        UPDATE dispatch_batch_members m SET state = ${to}, updated_at = now()
        FROM locked
        WHERE m.batch_id = ${id} AND m.request_id = locked.request_id
        RETURNING m.request_id`;
      return inInputOrder(
        requestIds,
        moved.map((r) => r.request_id),
      );
    },

    async unfinished() {
      const rows = await prisma.dispatchBatch.findMany({
        where: { status: { in: UNFINISHED } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(toBatchRow);
    },
  };
}

async function createBatch(
  prisma: PrismaClient,
  input: CreateDispatchBatchInput,
): Promise<{ memberIds: string[] }> {
  const { id, provider, model, endpoint, expectedDoneAt, members } = input;
  const requested = members.map((m) => m.requestId);
  return prisma.$transaction(
    async (tx) => {
      // A concurrent create of the same id waits here for the first to commit, then finds its row.
      const created = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO dispatch_batches (id, provider, model, endpoint, status, member_count, expected_done_at)
        VALUES (${id}, ${provider}, ${model}, ${endpoint}, 'created', 0, ${expectedDoneAt.toISOString()}::timestamptz)
        ON CONFLICT (id) DO NOTHING
        RETURNING id`;
      if (created.length === 0) {
        const recorded = await tx.dispatchBatchMember.findMany({
          where: { batchId: id },
          select: { requestId: true },
        });
        return {
          memberIds: inInputOrder(
            requested,
            recorded.map((r) => r.requestId),
            true,
          ),
        };
      }
      // Skips a request that is 'in_batch' elsewhere (or twice in this input): the partial unique
      // index dispatch_batch_members_live_request_key. A duplicate custom_id is an error. Rows go
      // in request id order, so two creates sharing requests wait on each other in one order and
      // cannot deadlock.
      const inserted = await tx.$queryRaw<{ request_id: string }[]>`
        INSERT INTO dispatch_batch_members (batch_id, request_id, tenant_id, custom_id, deadline_at, state, payload)
        SELECT ${id}, m.request_id, m.tenant_id, m.custom_id, m.deadline_at, 'in_batch', m.payload
        FROM unnest(${requested}::text[], ${members.map((m) => m.tenantId)}::text[],
          ${members.map((m) => m.customId)}::text[],
          ${members.map((m) => m.deadlineAt.toISOString())}::timestamptz[],
          ${members.map((m) => JSON.stringify(m.payload ?? null))}::jsonb[])
          WITH ORDINALITY AS m(request_id, tenant_id, custom_id, deadline_at, payload, ord)
        ORDER BY m.request_id, m.ord
        ON CONFLICT (request_id) WHERE state = 'in_batch' DO NOTHING
        RETURNING request_id`;
      if (inserted.length === 0) {
        await tx.dispatchBatch.delete({ where: { id } });
        return { memberIds: [] };
      }
      await tx.dispatchBatch.update({ where: { id }, data: { memberCount: inserted.length } });
      return {
        memberIds: inInputOrder(
          requested,
          inserted.map((r) => r.request_id),
        ),
      };
    },
    { timeout: 10_000 },
  );
}

/**
 * `found` ordered as in `requested` (RETURNING promises no order). With `keepOthers`, ids not in
 * `requested` follow, sorted (a repeated create called with other members than the first).
 */
function inInputOrder(requested: string[], found: string[], keepOthers = false): string[] {
  const set = new Set(found);
  const ordered = [...new Set(requested)].filter((r) => set.has(r));
  if (!keepOthers) return ordered;
  const asked = new Set(requested);
  return [...ordered, ...found.filter((f) => !asked.has(f)).sort()];
}

function toBatchRow(row: DispatchBatch): DispatchBatchRow {
  return { ...row, status: row.status as DispatchBatchStatus };
}

function toMemberRow(row: DispatchBatchMember): DispatchBatchMemberRow {
  const { batchId, requestId, tenantId, customId, deadlineAt, payload } = row;
  const state = row.state as DispatchBatchMemberState;
  return { batchId, requestId, tenantId, customId, deadlineAt, state, payload };
}
