import type { ResultMessage } from '@asahi/contracts';
import type { PrismaClient } from './client';
import { TERMINAL_JOB_STATUSES, toResultRow, type ResultRow } from './rows';

export interface SaveResultOutcome {
  /**
   * True only for the call that stored this result. Results are delivered at least once;
   * consumers fire side effects (webhook, notify) only when this is true.
   */
  firstTime: boolean;
}

/**
 * Stores a terminal result and makes its job terminal, atomically, in one statement:
 *  - the tenant and the job are created if missing (the job with `request = {}`), so a result
 *    whose ingest row was lost is still recorded;
 *  - the job turns terminal only if it is not terminal yet (first outcome wins) and only if it
 *    belongs to the result's tenant;
 *  - the result row is inserted unless one already exists for this request id.
 * Data-modifying CTEs all run, and foreign keys are checked at the end of the statement, so the
 * result may reference a job inserted by the same statement.
 */
export async function saveTerminalResult(
  prisma: PrismaClient,
  msg: ResultMessage,
): Promise<SaveResultOutcome> {
  const rows = await prisma.$queryRaw<{ result_inserted: boolean }[]>`
    WITH new_tenant AS (
      INSERT INTO tenants (id, name) VALUES (${msg.tenantId}, ${msg.tenantId}) ON CONFLICT (id) DO NOTHING
    ), job AS (
      INSERT INTO jobs (id, tenant_id, mode, status, model, request, callback_url, deadline_at, created_at, updated_at,
        completed_at, attempts, result_id)
      VALUES (${msg.requestId}, ${msg.tenantId}, ${msg.mode}, ${msg.status}, ${msg.model}, '{}'::jsonb,
        ${msg.callback?.url ?? null}::text, ${msg.deadlineAt}::timestamptz, ${msg.acceptedAt}::timestamptz, now(),
        ${msg.completedAt}::timestamptz, ${msg.attempts}::int, ${msg.requestId})
      ON CONFLICT (id) DO UPDATE SET
        status = EXCLUDED.status, completed_at = EXCLUDED.completed_at, result_id = EXCLUDED.result_id,
        attempts = GREATEST(jobs.attempts, EXCLUDED.attempts), updated_at = now()
      WHERE jobs.status <> ALL(${TERMINAL_JOB_STATUSES}::text[]) AND jobs.tenant_id = EXCLUDED.tenant_id
    ), result AS (
      INSERT INTO results (id, job_id, tenant_id, status, model, provider, output, prompt_tokens, completion_tokens,
        total_tokens, cost_usd, baseline_cost_usd, cache_tier, timings, error, attempts, completed_at, routing, tokens,
        savings, dispatch)
      VALUES (${msg.requestId}, ${msg.requestId}, ${msg.tenantId}, ${msg.status}, ${msg.model}, ${msg.provider},
        ${jsonOrNull(msg.output)}::jsonb, ${msg.usage.promptTokens}::int,
        ${msg.usage.completionTokens}::int, ${msg.usage.totalTokens}::int, ${msg.costUsd}::numeric,
        ${msg.baselineCostUsd}::numeric, ${msg.cacheTier}, ${JSON.stringify(msg.timings)}::jsonb,
        ${jsonOrNull(msg.error)}::jsonb, ${msg.attempts}::int, ${msg.completedAt}::timestamptz,
        ${jsonOrNull(msg.routing)}::jsonb, ${jsonOrNull(msg.tokens)}::jsonb, ${jsonOrNull(msg.savings)}::jsonb,
        ${jsonOrNull(msg.dispatch)}::jsonb)
      ON CONFLICT DO NOTHING
      RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM result) AS result_inserted`;
  return { firstTime: rows[0]?.result_inserted === true };
}

/** SQL NULL (not JSON null) for an absent optional field. */
function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** The result of a request, or null when it does not exist for this tenant. */
export async function getResult(
  prisma: PrismaClient,
  tenantId: string,
  id: string,
): Promise<ResultRow | null> {
  const result = await prisma.result.findFirst({ where: { id, tenantId } });
  return result ? toResultRow(result) : null;
}
