/** The deadline bench's report shape and its readable table (pure formatting). */
import type { LatencyFigures, ModeFigures, Target } from './figures';
import type { BenchMode } from './workload';

export interface SyncPhase {
  all: LatencyFigures;
  firstAttempt: LatencyFigures;
  unansweredInWait: number;
  errors: number;
  /** Where the answered calls spent their time (see syncBreakdown). */
  breakdown: Record<string, { n: number; p50: number; p99: number }>;
  /** CPU of every process on the machine during the phase, by label, % of one core. */
  cpu: { label: string; percentOfCore: number }[];
}

/** Sums from the pipeline's /metrics over the whole run (warm-up included), and its breakers. */
export interface PipelineFigures {
  rateLimitWaits: Record<string, number>;
  /** asahi_circuit_breaker_state by model: 0 closed, 1 half-open, 2 open. */
  breakerState: Record<string, number>;
  breakers: unknown[];
  costByExecutionUsd: Record<string, number>;
  deadlineMisses: Record<string, number>;
  batchJobs: Record<string, number>;
  batchReleases: Record<string, number>;
  fallbacks: Record<string, number>;
}

/** The simulator's /sim/stats (whole run; faults include Batch API items). */
export interface ProviderFigures {
  chatCompletions: number;
  faultsInjected: Record<string, number>;
  rateLimitedByRpm: number;
  batches: Record<string, number>;
}

export interface DeadlineReport {
  params: Record<string, unknown>;
  modes: Record<BenchMode, ModeFigures>;
  submitErrors: Record<BenchMode, number>;
  bulkRejectedLines: number;
  allCompleted: boolean;
  missing: number;
  deadlineMisses: number;
  costReduction: number;
  sync: {
    alone: SyncPhase;
    withBulkLoad: SyncPhase;
    p99Change: number;
    firstAttemptP99Change: number;
  };
  /** From the start of the mixed phase until the last terminal result (or the settle bound). */
  settle: { secondsAfterMixedPhase: number; timedOut: boolean };
  /** Requests per minute offered in the mixed phase, all modes, against the provider's limit. */
  offeredRpm: number;
  pipeline: PipelineFigures;
  provider: ProviderFigures;
  targets: Target[];
}

const MODES: BenchMode[] = ['sync', 'async', 'bulk'];
const usd = (n: number) => `$${n.toFixed(6)}`;
const pct = (x: number) =>
  Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%` : 'n/a';
const share = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '-';
const row = (cells: (string | number)[], widths: number[]) =>
  cells.map((c, i) => String(c).padEnd(widths[i] ?? 10)).join(' ');

function modeLines(r: DeadlineReport): string[] {
  const widths = [6, 9, 10, 8, 7, 10, 24, 30, 12, 12];
  const head = ['mode', 'accepted', 'completed', 'missing', 'misses', 'succeeded'];
  const lines = [
    row([...head, 'not succeeded (code)', 'execution', 'billed', 'at realtime'], widths),
  ];
  for (const mode of MODES) {
    const m = r.modes[mode];
    lines.push(
      row(
        [
          mode,
          m.accepted,
          m.completed,
          m.missing,
          m.deadlineMisses,
          m.byStatus.succeeded ?? 0,
          counts(m.failedByCode),
          counts(m.execution),
          usd(m.costUsd),
          usd(m.realtimeCostUsd),
        ],
        widths,
      ),
    );
  }
  return lines;
}

function latencyLines(r: DeadlineReport): string[] {
  const widths = [16, 6, 7, 7, 7, 4, 6, 7, 7, 7, 12];
  const phase = (name: string, p: SyncPhase) =>
    row(
      [
        name,
        p.all.n,
        ms(p.all.p50),
        ms(p.all.p95),
        ms(p.all.p99),
        '|',
        p.firstAttempt.n,
        ms(p.firstAttempt.p50),
        ms(p.firstAttempt.p95),
        ms(p.firstAttempt.p99),
        `${p.unansweredInWait} / ${p.errors}`,
      ],
      widths,
    );
  return [
    row(
      ['sync (ms)', 'n', 'p50', 'p95', 'p99', '|', 'n 1st', 'p50', 'p95', 'p99', 'late / err'],
      widths,
    ),
    phase('alone', r.sync.alone),
    phase('with bulk load', r.sync.withBulkLoad),
    `sync p99 change under load: ${pct(r.sync.p99Change)} (first-attempt answers only: ${pct(r.sync.firstAttemptP99Change)})`,
  ];
}

function breakdownLines(r: DeadlineReport): string[] {
  const widths = [34, 14, 14];
  const { alone, withBulkLoad } = r.sync;
  const keys = [
    ...new Set([...Object.keys(alone.breakdown), ...Object.keys(withBulkLoad.breakdown)]),
  ];
  const cell = (p: SyncPhase, key: string) => {
    const b = p.breakdown[key];
    return b ? `${b.p50} / ${b.p99}` : '-';
  };
  const cpu = (p: SyncPhase) =>
    `${p.cpu.reduce((n, c) => n + c.percentOfCore, 0)} (${p.cpu.map((c) => `${c.label} ${c.percentOfCore}`).join(', ')})`;
  return [
    row(['sync time split (ms, p50 / p99)', 'alone', 'with bulk load'], widths),
    ...keys.map((key) => row([key, cell(alone, key), cell(withBulkLoad, key)], widths)),
    `CPU, % of one core, every process on the machine (other stacks share the app labels):`,
    `  alone: ${cpu(alone)}`,
    `  with bulk load: ${cpu(withBulkLoad)}`,
  ];
}

function metricLines(r: DeadlineReport): string[] {
  const p = r.pipeline;
  const v = r.provider;
  const nonZero = (c: Record<string, number>) =>
    counts(Object.fromEntries(Object.entries(c).filter(([, n]) => n !== 0)));
  return [
    `offered in the mixed phase: ${Math.round(r.offeredRpm)} requests/min, provider limit ${String(r.params.simRpm)} rpm`,
    `pipeline (whole run): rate-limit waits ${counts(p.rateLimitWaits)}; breaker state (0 closed, 2 open) ${counts(p.breakerState)}; fallbacks ${counts(p.fallbacks)}`,
    `  batch jobs ${counts(p.batchJobs)}; batch releases ${counts(p.batchReleases)}; cost by execution (USD) ${counts(p.costByExecutionUsd)}; deadline misses ${counts(p.deadlineMisses)}`,
    `provider (whole run): chat calls ${v.chatCompletions}; faults injected ${nonZero(v.faultsInjected)} (Batch API items included); refused by its RPM limit ${v.rateLimitedByRpm}`,
    `  Batch API ${counts(v.batches)}`,
  ];
}

/** The table printed after the JSON report. */
export function reportLines(r: DeadlineReport): string[] {
  const total = MODES.reduce((n, m) => n + r.modes[m].accepted, 0);
  const tolerant = [r.modes.async, r.modes.bulk];
  const billed = tolerant.reduce((n, m) => n + m.costUsd, 0);
  const realtime = tolerant.reduce((n, m) => n + m.realtimeCostUsd, 0);
  return [
    '',
    ...modeLines(r),
    `released from a batch to realtime: ${MODES.map((m) => `${m} ${counts(r.modes[m].releasedFromBatch)}`).join('; ')}`,
    `submit errors: ${counts(r.submitErrors)}; bulk lines rejected: ${r.bulkRejectedLines}`,
    `all completed: ${r.allCompleted ? 'yes' : 'no'} (${total - r.missing} of ${total}, ${r.missing} missing; ${r.settle.timedOut ? 'settle bound reached' : 'last result'} ${r.settle.secondsAfterMixedPhase} s after the mixed phase began)`,
    `deadline misses: ${r.deadlineMisses}`,
    `cost reduction on async + bulk against all-realtime: ${share(r.costReduction)} (${usd(billed)} billed, ${usd(realtime)} at realtime prices)`,
    '',
    ...latencyLines(r),
    '',
    ...breakdownLines(r),
    '',
    ...metricLines(r),
    '',
    'targets:',
    ...r.targets.map(
      (t) => `  [${t.met ? 'met' : 'NOT MET'}] ${t.name}: ${t.value} (target ${t.target})`,
    ),
  ];
}
