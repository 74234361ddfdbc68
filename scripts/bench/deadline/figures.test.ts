import { describe, expect, it } from 'vitest';
import {
  costReduction,
  figuresByMode,
  modeFigures,
  parsePrometheus,
  relativeChange,
  sumBy,
  syncBreakdown,
  syncLatency,
  targets,
  type OutcomeRow,
} from './figures';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const row = (over: Partial<OutcomeRow>): OutcomeRow => ({
  id: 'r',
  mode: 'bulk',
  acceptedAt: at(0),
  deadlineAt: at(100),
  status: 'succeeded',
  completedAt: at(50),
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
const pending = { status: null, completedAt: null, costUsd: null, batchSavingUsd: null };

describe('modeFigures', () => {
  it('counts completed, missing, statuses, misses, failure codes, executions and releases', () => {
    const f = modeFigures([
      row({ id: 'a' }),
      row({ id: 'b', completedAt: at(101) }),
      row({ id: 'c', ...pending, execution: null }),
      row({ id: 'd', status: 'failed', errorCode: 'provider_error', execution: 'realtime' }),
      row({ id: 'e', status: 'expired', errorCode: null, execution: null }),
      row({ id: 'f', execution: 'realtime', releasedFromBatch: 'batch-item-failed' }),
      row({ id: 'g', fallbackTo: 'gpt-4.1-mini', execution: 'realtime' }),
    ]);
    expect(f).toMatchObject({ accepted: 7, completed: 6, missing: 1, deadlineMisses: 1 });
    expect(f.byStatus).toEqual({ succeeded: 4, failed: 1, expired: 1 });
    expect(f.failedByCode).toEqual({ provider_error: 1, expired: 1 });
    expect(f.execution).toEqual({ 'batch-api': 2, realtime: 3, none: 1 });
    expect(f.releasedFromBatch).toEqual({ 'batch-item-failed': 1 });
    expect(f.fallbacks).toBe(1);
  });

  it('prices only succeeded answers, at billed and at realtime prices', () => {
    const f = modeFigures([
      row({ costUsd: 0.5, batchSavingUsd: 0.5 }),
      row({ costUsd: 2, batchSavingUsd: 0, execution: 'realtime' }),
      row({ status: 'failed', costUsd: 3, batchSavingUsd: 3 }),
    ]);
    expect(f.costUsd).toBeCloseTo(2.5);
    expect(f.realtimeCostUsd).toBeCloseTo(3);
  });

  it('a result completed exactly at its deadline is on time', () => {
    expect(modeFigures([row({ completedAt: at(100) })]).deadlineMisses).toBe(0);
  });
});

describe('figuresByMode and costReduction', () => {
  it('splits rows by mode', () => {
    const by = figuresByMode([row({ mode: 'sync' }), row({ mode: 'bulk' }), row({ mode: 'bulk' })]);
    expect([by.sync.accepted, by.async.accepted, by.bulk.accepted]).toEqual([1, 0, 2]);
  });

  it('is 1 − billed / realtime over the given modes', () => {
    const halfPrice = modeFigures([row({ costUsd: 1, batchSavingUsd: 1 })]);
    const fullPrice = modeFigures([row({ costUsd: 2, batchSavingUsd: 0 })]);
    expect(costReduction([halfPrice])).toBeCloseTo(0.5);
    expect(costReduction([halfPrice, fullPrice])).toBeCloseTo(1 - 3 / 4);
    expect(costReduction([modeFigures([])])).toBeNaN();
  });
});

describe('syncLatency', () => {
  it('takes every call for the percentiles, first-attempt answers for the second set', () => {
    const samples = Array.from({ length: 100 }, (_, i) => ({
      id: `s${i}`,
      ms: i + 1,
      terminal: i !== 99,
      startedAt: 0,
      endedAt: i + 1,
    }));
    const attempts = new Map(samples.map((s, i) => [s.id, i >= 90 ? 2 : 1]));
    const l = syncLatency(samples, attempts);
    expect(l.all).toMatchObject({ n: 100, p50: 50, p99: 99 });
    expect(l.firstAttempt).toMatchObject({ n: 90, p99: 90 });
    expect(l.unansweredInWait).toBe(1);
  });
});

describe('syncBreakdown', () => {
  it('splits each answered call into intake, server (with its stages) and delivery', () => {
    const t0 = at(10).getTime();
    const samples = [
      { id: 'a', ms: 900, terminal: true, startedAt: t0 - 50, endedAt: t0 + 850 },
      { id: 'b', ms: 30_000, terminal: false, startedAt: t0, endedAt: t0 + 30_000 },
    ];
    const rows = new Map([
      [
        'a',
        row({
          id: 'a',
          acceptedAt: at(10),
          completedAt: new Date(t0 + 700),
          timings: { prepare: 20 },
        }),
      ],
      ['b', row({ id: 'b', ...pending })],
    ]);
    expect(syncBreakdown(samples, rows)).toEqual({
      'intake: sent → accepted': { n: 1, p50: 50, p99: 50 },
      'server: accepted → completed': { n: 1, p50: 700, p99: 700 },
      '  stage prepare': { n: 1, p50: 20, p99: 20 },
      'delivery: completed → read': { n: 1, p50: 150, p99: 150 },
    });
  });
});

describe('relativeChange', () => {
  it.each([
    [100, 110, 0.1],
    [200, 150, -0.25],
    [0, 5, Number.NaN],
  ])('%d → %d is %d', (before, after, expected) => {
    const change = relativeChange(before, after);
    if (Number.isNaN(expected)) expect(change).toBeNaN();
    else expect(change).toBeCloseTo(expected);
  });
});

describe('parsePrometheus and sumBy', () => {
  const text = [
    '# HELP asahi_rate_limit_waits_total Dispatches put back.',
    '# TYPE asahi_rate_limit_waits_total counter',
    'asahi_rate_limit_waits_total{model="gpt-4o-mini",limited_by="rpm",service="pipeline"} 7',
    'asahi_rate_limit_waits_total{model="gpt-4o",limited_by="rpm",service="pipeline"} 2',
    'asahi_rate_limit_waits_total{model="gpt-4o",limited_by="tpm",service="pipeline"} 1',
    'asahi_cost_by_execution_usd_total{execution="batch-api"} 0.25',
    'asahi_odd{note="a \\"quoted\\" value"} 1',
    'process_start_time_seconds 1700000000',
  ].join('\n');
  const samples = parsePrometheus(text);

  it('reads names, labels and values, skipping comments', () => {
    expect(samples).toHaveLength(6);
    expect(samples[0]).toEqual({
      name: 'asahi_rate_limit_waits_total',
      labels: { model: 'gpt-4o-mini', limited_by: 'rpm', service: 'pipeline' },
      value: 7,
    });
    expect(samples[4]!.labels.note).toBe('a "quoted" value');
    expect(samples[5]).toEqual({ name: 'process_start_time_seconds', labels: {}, value: 1.7e9 });
  });

  it('sums a metric by the given labels', () => {
    expect(sumBy(samples, 'asahi_rate_limit_waits_total', ['model'])).toEqual({
      'gpt-4o-mini': 7,
      'gpt-4o': 3,
    });
    expect(sumBy(samples, 'asahi_rate_limit_waits_total', [])).toEqual({ total: 10 });
    expect(sumBy(samples, 'asahi_missing_total', ['model'])).toEqual({});
  });
});

describe('targets', () => {
  const pass = { deadlineMisses: 0, costReduction: 0.46, syncP99Change: 0.05, missing: 0 };
  it('are all met by a run inside every bound', () => {
    expect(targets(pass).map((t) => t.met)).toEqual([true, true, true, true]);
  });
  it.each([
    ['deadlineMisses', 1, 0],
    ['costReduction', 0.44, 1],
    ['syncP99Change', 0.11, 2],
    ['syncP99Change', Number.NaN, 2],
    ['missing', 3, 3],
  ] as const)('%s = %d fails target %d alone', (field, value, index) => {
    const met = targets({ ...pass, [field]: value }).map((t) => t.met);
    expect(met).toEqual([0, 1, 2, 3].map((i) => i !== index));
  });
});
