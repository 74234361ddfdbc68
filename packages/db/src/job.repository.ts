import type { RequestMessage, ResultError } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import type { PrismaClient } from './client';
import {
  TERMINAL_JOB_STATUSES,
  toJobRow,
  toJobWithResult,
  type JobRow,
  type JobWithResult,
} from './rows';

/** The fields of a RequestMessage a job row needs (the whole message is stored as `request`). */
export type QueuedJobInput = Pick<
  RequestMessage,
  'requestId' | 'tenantId' | 'mode' | 'acceptedAt' | 'deadlineAt' | 'body'
> &
  Partial<Pick<RequestMessage, 'callback'>>;

export interface CreatedJob {
  id: string;
  /** False when the id already existed (a redelivery or a retried submit). */
  created: boolean;
}

/**
 * Inserts queued jobs in one statement, idempotent on id (existing rows are left untouched).
 * A tenant unknown to the database gets a placeholder row (name = id) so the foreign key holds
 * even when tenants come from configuration rather than from `upsertTenant`.
 */
export async function createQueuedJobs(
  prisma: PrismaClient,
  inputs: QueuedJobInput[],
): Promise<CreatedJob[]> {
  if (inputs.length === 0) return [];
  const payload = inputs.map((m) => ({
    id: m.requestId,
    tenant_id: m.tenantId,
    mode: m.mode,
    model: m.body.model,
    request: m,
    callback_url: m.callback?.url ?? null,
    deadline_at: m.deadlineAt,
    created_at: m.acceptedAt,
  }));
  const inserted = await prisma.$queryRaw<{ id: string }[]>`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) AS x(
        id text, tenant_id text, mode text, model text, request jsonb, callback_url text,
        deadline_at timestamptz, created_at timestamptz)
    ), new_tenants AS (
      INSERT INTO tenants (id, name) SELECT DISTINCT tenant_id, tenant_id FROM input
      ON CONFLICT (id) DO NOTHING
    )
    INSERT INTO jobs (id, tenant_id, mode, status, model, request, callback_url, deadline_at, created_at, updated_at)
    SELECT id, tenant_id, mode, 'queued', model, request, callback_url, deadline_at, created_at, now() FROM input
    ON CONFLICT (id) DO NOTHING
    RETURNING id`;
  // Only the first occurrence of an id inside the batch counts as the one that created it.
  const unclaimed = new Set(inserted.map((r) => r.id));
  return inputs.map((m) => ({ id: m.requestId, created: unclaimed.delete(m.requestId) }));
}

/** One queued job; returns the stored row, which is the earlier one when the id already existed. */
export async function createQueuedJob(
  prisma: PrismaClient,
  input: QueuedJobInput,
): Promise<{ job: JobRow; created: boolean }> {
  const [outcome] = await createQueuedJobs(prisma, [input]);
  const job = await prisma.job.findUnique({ where: { id: input.requestId } });
  if (!job) throw new AppError('internal', `job ${input.requestId} vanished right after insert`);
  if (job.tenantId !== input.tenantId) {
    // Never hand one tenant another tenant's job because their ids collided.
    throw new AppError('conflict', `request id ${input.requestId} is already in use`);
  }
  return { job: toJobRow(job), created: outcome?.created ?? false };
}

/** The job with its result, or null when it does not exist *for this tenant*. */
export async function getJobForTenant(
  prisma: PrismaClient,
  tenantId: string,
  id: string,
): Promise<JobWithResult | null> {
  const job = await prisma.job.findFirst({ where: { id, tenantId }, include: { result: true } });
  return job ? toJobWithResult(job) : null;
}

/**
 * Ingest rollback when the hand-off to Kafka failed: the request was never accepted (the client
 * got a 503), so its row goes away and a retry with the same Idempotency-Key starts afresh.
 * Only a still-queued job without a result is withdrawn. Returns whether a row was removed.
 */
export async function withdrawUnacceptedJob(
  prisma: PrismaClient,
  tenantId: string,
  id: string,
): Promise<boolean> {
  const count = await prisma.$executeRaw`
    DELETE FROM jobs WHERE id = ${id} AND tenant_id = ${tenantId} AND status = 'queued'
    AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_id = jobs.id)`;
  return count > 0;
}

/** Marks a job running and counts the attempt (no-op once terminal). */
export async function markJobRunning(prisma: PrismaClient, id: string): Promise<boolean> {
  const count = await prisma.$executeRaw`
    UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, now()), attempts = attempts + 1, updated_at = now()
    WHERE id = ${id} AND status <> ALL(${TERMINAL_JOB_STATUSES}::text[])`;
  return count > 0;
}

/**
 * Ingest rollback: the jobs were stored but could not be handed on, so they fail now. Each gets
 * a failed result carrying the reason, keeping "terminal job ⇔ one result" true for readers;
 * a late real result for the same id then finds the slot taken (saveTerminalResult → firstTime
 * false), so the client sees one outcome. Returns how many jobs changed.
 */
export async function markJobsFailed(
  prisma: PrismaClient,
  ids: string[],
  reason: ResultError | string,
): Promise<number> {
  if (ids.length === 0) return 0;
  const error: ResultError =
    typeof reason === 'string' ? { code: 'unavailable', message: reason, retryable: true } : reason;
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    WITH failed AS (
      UPDATE jobs SET status = 'failed', completed_at = now(), updated_at = now(), result_id = id
      WHERE id = ANY(${ids}::text[]) AND status <> ALL(${TERMINAL_JOB_STATUSES}::text[])
      RETURNING id, tenant_id, model, attempts, completed_at
    ), results_written AS (
      INSERT INTO results (id, job_id, tenant_id, status, model, provider, output, prompt_tokens, completion_tokens,
        total_tokens, cost_usd, baseline_cost_usd, cache_tier, timings, error, attempts, completed_at)
      SELECT id, id, tenant_id, 'failed', model, 'none', NULL, 0, 0, 0, 0, 0, 'none', '{}'::jsonb,
        ${JSON.stringify(error)}::jsonb, attempts, completed_at
      FROM failed
      ON CONFLICT DO NOTHING
    )
    SELECT id FROM failed`;
  return rows.length;
}

/** Non-terminal jobs not touched since `olderThan`, oldest first, for a reconciler. */
export async function findStuckJobs(
  prisma: PrismaClient,
  olderThan: Date,
  limit = 100,
): Promise<JobRow[]> {
  const jobs = await prisma.job.findMany({
    where: { status: { in: ['queued', 'running'] }, updatedAt: { lt: olderThan } },
    orderBy: { updatedAt: 'asc' },
    take: limit,
  });
  return jobs.map(toJobRow);
}

/** Marks jobs as looked at now, so a reconciler does not re-drive them again at once. */
export async function touchJobs(prisma: PrismaClient, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const { count } = await prisma.job.updateMany({
    where: { id: { in: ids }, status: { in: ['queued', 'running'] } },
    data: { updatedAt: new Date() },
  });
  return count;
}
