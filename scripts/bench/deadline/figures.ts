/**
 * The deadline bench's figures, computed from plain rows (jobs joined with their results as read
 * from PostgreSQL), client-side latencies and the pipeline's Prometheus text. No I/O here.
 */
import { summarize } from '../stats';
import type { BenchMode } from './workload';

/** One accepted request and its terminal result (the result fields are null while it has none). */
export interface OutcomeRow {
  id: string;
  mode: BenchMode;
  /** When the job was accepted (jobs.created_at). */
  acceptedAt: Date;
  deadlineAt: Date;
  status: string | null;
  completedAt: Date | null;
  costUsd: number | null;
  /** `savings.batch`: realtime price − billed price of this answer. */
  batchSavingUsd: number | null;
  /** `dispatch.execution`: realtime | array | batch-api. */
  execution: string | null;
  releasedFromBatch: string | null;
  fallbackTo: string | null;
  errorCode: string | null;
  attempts: number | null;
  /** The result's per-stage milliseconds (queue waits as `<queue>.wait`). */
  timings: Record<string, number> | null;
}

export interface ModeFigures {
  accepted: number;
  completed: number;
  /** Accepted requests without a terminal result. */
  missing: number;
  byStatus: Record<string, number>;
  /** Terminal results completed after their deadline. */
  deadlineMisses: number;
  /** Results that are not `succeeded`, by error code. */
  failedByCode: Record<string, number>;
  /** Terminal results by `dispatch.execution` (`none` when the result has no dispatch report). */
  execution: Record<string, number>;
  releasedFromBatch: Record<string, number>;
  fallbacks: number;
  /** Σ costUsd over succeeded results. */
  costUsd: number;
  /** Σ (costUsd + savings.batch) over succeeded results: the same answers at realtime prices. */
  realtimeCostUsd: number;
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Figures of one mode over the rows of its accepted requests. */
export function modeFigures(rows: OutcomeRow[]): ModeFigures {
  const f: ModeFigures = {
    accepted: rows.length,
    completed: 0,
    missing: 0,
    byStatus: {},
    deadlineMisses: 0,
    failedByCode: {},
    execution: {},
    releasedFromBatch: {},
    fallbacks: 0,
    costUsd: 0,
    realtimeCostUsd: 0,
  };
  for (const row of rows) {
    if (row.status === null || row.completedAt === null) {
      f.missing++;
      continue;
    }
    f.completed++;
    bump(f.byStatus, row.status);
    if (row.completedAt.getTime() > row.deadlineAt.getTime()) f.deadlineMisses++;
    if (row.status !== 'succeeded') bump(f.failedByCode, row.errorCode ?? row.status);
    bump(f.execution, row.execution ?? 'none');
    if (row.releasedFromBatch) bump(f.releasedFromBatch, row.releasedFromBatch);
    if (row.fallbackTo) f.fallbacks++;
    if (row.status === 'succeeded') {
      const cost = row.costUsd ?? 0;
      f.costUsd += cost;
      f.realtimeCostUsd += cost + (row.batchSavingUsd ?? 0);
    }
  }
  return f;
}

export function figuresByMode(rows: OutcomeRow[]): Record<BenchMode, ModeFigures> {
  const of = (mode: BenchMode) => modeFigures(rows.filter((r) => r.mode === mode));
  return { sync: of('sync'), async: of('async'), bulk: of('bulk') };
}

/**
 * 1 − billed / realtime price over the given modes' succeeded answers: what deadline-aware
 * dispatch saved against sending the same answers realtime. NaN when nothing succeeded.
 */
export function costReduction(modes: ModeFigures[]): number {
  const billed = modes.reduce((n, m) => n + m.costUsd, 0);
  const realtime = modes.reduce((n, m) => n + m.realtimeCostUsd, 0);
  return realtime > 0 ? 1 - billed / realtime : Number.NaN;
}

/** A sync call as the client saw it. `terminal`: answered within the wait (HTTP 200). */
export interface SyncSample {
  id: string;
  ms: number;
  terminal: boolean;
  /** Epoch ms when the call was sent and when its answer was read. */
  startedAt: number;
  endedAt: number;
}

export interface LatencyFigures {
  n: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Percentiles over every sync call that came back (a call still running after the wait counts
 * with its full wait), and over those answered at the first attempt (no provider retry), which
 * leaves out the injected faults and shows queueing alone.
 */
export function syncLatency(samples: SyncSample[], attemptsById: Map<string, number | null>) {
  const all = summarize(samples.map((s) => s.ms));
  const firstAttempt = summarize(
    samples.filter((s) => s.terminal && attemptsById.get(s.id) === 1).map((s) => s.ms),
  );
  return { all, firstAttempt, unansweredInWait: samples.filter((s) => !s.terminal).length };
}

/**
 * Where the sync calls answered within the wait spent their time, p50 / p99 ms: client → job
 * accepted, accepted → result completed (and each stage the result timed), completed → answer
 * read by the client. Clocks are the same machine's.
 */
export function syncBreakdown(samples: SyncSample[], rows: Map<string, OutcomeRow>) {
  const series: Record<string, number[]> = {};
  const add = (key: string, value: number) => (series[key] ??= []).push(value);
  for (const s of samples) {
    const r = rows.get(s.id);
    if (!s.terminal || !r?.completedAt) continue;
    add('intake: sent → accepted', r.acceptedAt.getTime() - s.startedAt);
    add('server: accepted → completed', r.completedAt.getTime() - r.acceptedAt.getTime());
    for (const [stage, ms] of Object.entries(r.timings ?? {})) add(`  stage ${stage}`, ms);
    add('delivery: completed → read', s.endedAt - r.completedAt.getTime());
  }
  const round = (n: number) => Math.round(n);
  return Object.fromEntries(
    Object.entries(series).map(([key, v]) => {
      const p = summarize(v);
      return [key, { n: p.n, p50: round(p.p50), p99: round(p.p99) }];
    }),
  );
}

/** (after − before) / before; NaN when before is not positive. */
export function relativeChange(before: number, after: number): number {
  return before > 0 ? (after - before) / before : Number.NaN;
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of the Prometheus text format (comments skipped; label values unescaped). */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Σ of a metric's samples grouped by the values of the given labels, joined with `/`. */
export function sumBy(samples: PromSample[], name: string, labels: string[]) {
  const sums: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = labels.map((l) => s.labels[l] ?? '').join('/') || 'total';
    sums[key] = (sums[key] ?? 0) + s.value;
  }
  return sums;
}

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

export interface TargetInput {
  deadlineMisses: number;
  costReduction: number;
  syncP99Change: number;
  missing: number;
}

/** The four targets, each with the measured value and whether it is met. */
export function targets(t: TargetInput): Target[] {
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
  return [
    {
      name: 'deadline misses',
      target: '0',
      value: String(t.deadlineMisses),
      met: t.deadlineMisses === 0,
    },
    {
      name: 'cost reduction, async + bulk vs all-realtime',
      target: '≥ 45%',
      value: pct(t.costReduction),
      met: t.costReduction >= 0.45,
    },
    {
      name: 'sync p99 change under bulk load',
      target: '≤ +10%',
      value: pct(t.syncP99Change),
      met: t.syncP99Change <= 0.1,
    },
    {
      name: 'every accepted request completed',
      target: '0 missing',
      value: `${t.missing} missing`,
      met: t.missing === 0,
    },
  ];
}
