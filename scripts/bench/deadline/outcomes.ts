/**
 * Reads the bench's accepted requests and their terminal results from PostgreSQL (the jobs and
 * results tables the platform writes), as OutcomeRows for figures.ts.
 */
import type { Db } from '@asahi/db';
import type { OutcomeRow } from './figures';
import type { BenchMode } from './workload';

interface Row {
  id: string;
  mode: string;
  created_at: Date;
  deadline_at: Date;
  status: string | null;
  completed_at: Date | null;
  cost_usd: number | null;
  batch_saving_usd: number | null;
  execution: string | null;
  released_from_batch: string | null;
  fallback_to: string | null;
  error_code: string | null;
  attempts: number | null;
  timings: Record<string, number> | null;
}

const OUTCOMES_SQL = `
  SELECT j.id, j.mode, j.created_at, j.deadline_at, r.status, r.completed_at,
         r.cost_usd::float8 AS cost_usd,
         (r.savings->>'batch')::float8 AS batch_saving_usd,
         r.dispatch->>'execution' AS execution,
         r.dispatch->>'releasedFromBatch' AS released_from_batch,
         r.dispatch->'fallback'->>'to' AS fallback_to,
         r.error->>'code' AS error_code,
         r.attempts, r.timings
    FROM jobs j LEFT JOIN results r ON r.job_id = j.id
   WHERE j.id = ANY($1::text[])`;

/**
 * One row per id (the mode the client used, which is also the job's). An id missing from the
 * jobs table — which an acceptance rules out — is returned without a result, so it counts as missing.
 */
export async function readOutcomes(
  db: Db,
  modeById: Map<string, BenchMode>,
): Promise<OutcomeRow[]> {
  const ids = [...modeById.keys()];
  const { rows } = await db.pool.query<Row>(OUTCOMES_SQL, [ids]);
  const found = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const r = found.get(id);
    return {
      id,
      mode: modeById.get(id)!,
      acceptedAt: r?.created_at ?? new Date(0),
      deadlineAt: r?.deadline_at ?? new Date(0),
      status: r?.status ?? null,
      completedAt: r?.completed_at ?? null,
      costUsd: r?.cost_usd ?? null,
      batchSavingUsd: r?.batch_saving_usd ?? null,
      execution: r?.execution ?? null,
      releasedFromBatch: r?.released_from_batch ?? null,
      fallbackTo: r?.fallback_to ?? null,
      errorCode: r?.error_code ?? null,
      attempts: r?.attempts ?? null,
      timings: r?.timings ?? null,
    };
  });
}

/** How many of the ids have a terminal result yet. */
export async function countCompleted(db: Db, ids: string[]): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM results WHERE job_id = ANY($1::text[])',
    [ids],
  );
  return rows[0]?.n ?? 0;
}
