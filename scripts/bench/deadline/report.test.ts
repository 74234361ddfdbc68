import { describe, expect, it } from 'vitest';
import { modeFigures, targets, type OutcomeRow } from './figures';
import { reportLines, type DeadlineReport, type SyncPhase } from './report';

const done = (over: Partial<OutcomeRow>): OutcomeRow => ({
  id: 'x',
  mode: 'bulk',
  acceptedAt: new Date(0),
  deadlineAt: new Date(10_000),
  status: 'succeeded',
  completedAt: new Date(5_000),
  costUsd: 1,
  batchSavingUsd: 1,
  execution: 'batch-api',
  releasedFromBatch: null,
  fallbackTo: null,
  errorCode: null,
  attempts: 1,
  timings: null,
  ...over,
});
const phase = (p99: number): SyncPhase => ({
  all: { n: 10, p50: 100, p95: 200, p99 },
  firstAttempt: { n: 9, p50: 100, p95: 150, p99: 180 },
  unansweredInWait: 0,
  errors: 0,
  breakdown: { 'server: accepted → completed': { n: 10, p50: 90, p99: p99 - 10 } },
  cpu: [
    { label: 'pipeline', percentOfCore: 60 },
    { label: 'kafka', percentOfCore: 20 },
  ],
});

function report(): DeadlineReport {
  const bulk = modeFigures([done({}), done({ id: 'y', status: null, completedAt: null })]);
  return {
    params: { simRpm: 600 },
    modes: { sync: modeFigures([]), async: modeFigures([]), bulk },
    submitErrors: { sync: 0, async: 0, bulk: 0 },
    bulkRejectedLines: 0,
    allCompleted: false,
    missing: 1,
    deadlineMisses: 0,
    costReduction: 0.5,
    sync: { alone: phase(300), withBulkLoad: phase(360), p99Change: 0.2, firstAttemptP99Change: 0 },
    settle: { secondsAfterMixedPhase: 42, timedOut: true },
    offeredRpm: 2700,
    pipeline: {
      rateLimitWaits: { 'gpt-4o-mini/rpm': 3 },
      breakerState: { 'gpt-4o-mini': 0 },
      breakers: [],
      costByExecutionUsd: {},
      deadlineMisses: {},
      batchJobs: { submitted: 1 },
      batchReleases: {},
      fallbacks: {},
    },
    provider: {
      chatCompletions: 5,
      faultsInjected: { '500': 1, '503': 0, total: 1 },
      rateLimitedByRpm: 0,
      batches: { items: 2 },
    },
    targets: targets({ deadlineMisses: 0, costReduction: 0.5, syncP99Change: 0.2, missing: 1 }),
  };
}

describe('reportLines', () => {
  const text = reportLines(report()).join('\n');
  it('says plainly whether every request completed, and how many are missing', () => {
    expect(text).toContain('all completed: no (1 of 2, 1 missing; settle bound reached 42 s');
  });
  it('prints the cost reduction, the p99 change and each target with its verdict', () => {
    expect(text).toContain('against all-realtime: 50.0% ($1.000000 billed, $2.000000');
    expect(text).toContain('sync p99 change under load: +20.0%');
    expect(text).toContain('[NOT MET] sync p99 change under bulk load: 20.0%');
    expect(text).toContain('[met] deadline misses: 0');
    expect(text).toContain('[NOT MET] every accepted request completed: 1 missing');
  });
  it('lists the metrics, leaving out zero fault kinds', () => {
    expect(text).toContain('rate-limit waits gpt-4o-mini/rpm 3');
    expect(text).toContain('faults injected 500 1, total 1 (');
    expect(text).toContain('server: accepted → completed');
    expect(text).toContain('alone: 80 (pipeline 60, kafka 20)');
  });
});
