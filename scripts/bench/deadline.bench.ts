/**
 * `npm run bench:deadline` — deadline-aware dispatch under a mixed workload, against the simulator
 * at a fixed requests-per-minute limit with injected faults (chat calls and Batch API items):
 *   phase A: sync requests alone at a fixed rate (`Prefer: wait`, tight deadline): baseline p99;
 *   phase B: the same sync stream while async (1 h deadline) and bulk uploads (24 h window) run,
 *            about 10% / 30% / 60% by count;
 * then waits (bounded) until every accepted request has a terminal result in PostgreSQL and prints
 * deadline misses, failures by code, execution mix, the cost reduction of async + bulk against the
 * same answers at realtime prices, sync p50/p95/p99 alone and under load, and the pipeline's
 * rate-limit, breaker and cost metrics. Targets 127.0.0.1 only; every loop is bounded.
 * Flags: see `options` below (`--sync-rate 5 --duration 40` …); `--pipeline-env K=V` repeatable.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createApiKey, createDb, createTestDatabase, upsertTenant, type Db } from '@asahi/db';
import { infraDown, infraUp } from '@asahi/local-infra';
import { startStack, type Stack } from '@asahi/testing';
import {
  costReduction,
  figuresByMode,
  parsePrometheus,
  relativeChange,
  sumBy,
  syncBreakdown,
  syncLatency,
  targets,
  type SyncSample,
} from './deadline/figures';
import { ingestClient, type IngestClient } from './deadline/ingest-client';
import { countCompleted, readOutcomes } from './deadline/outcomes';
import {
  reportLines,
  type DeadlineReport,
  type PipelineFigures,
  type ProviderFigures,
  type SyncPhase,
} from './deadline/report';
import {
  bulkJsonl,
  chatBody,
  mixCounts,
  parsePromptRows,
  splitEvenly,
  uniquePrompt,
  type BenchMode,
} from './deadline/workload';
import { coreShare, cpuTicksByLabel } from './proc-cpu';
import { atFixedRate } from './stats';

const { values } = parseArgs({
  options: {
    'sync-rate': { type: 'string', default: '5' },
    /** Seconds of each phase (sync alone; mixed). */
    duration: { type: 'string', default: '40' },
    /** Requests in the mixed phase; default 3× and 6× the phase's sync count (10/30/60 mix). */
    async: { type: 'string' },
    bulk: { type: 'string' },
    'bulk-uploads': { type: 'string', default: '6' },
    'sync-deadline-s': { type: 'string', default: '15' },
    'async-deadline-s': { type: 'string', default: '3600' },
    'completion-window': { type: 'string', default: '24h' },
    'sim-rpm': { type: 'string', default: '600' },
    'sim-latency-ms': { type: 'string', default: '150' },
    'fault-rate': { type: 'string', default: '0.1' },
    'fault-kinds': { type: 'string', default: '500,429,timeout' },
    'sim-batch-turnaround-ms': { type: 'string', default: '3000' },
    /** The pipeline's per-call timeout: an injected `timeout` fault costs this much. */
    'provider-timeout-ms': { type: 'string', default: '5000' },
    /** Fallback model of --model (FALLBACK_CHAINS); empty = none. */
    fallback: { type: 'string', default: 'gpt-4.1-mini' },
    model: { type: 'string', default: 'gpt-4o-mini' },
    'max-tokens': { type: 'string', default: '32' },
    'settle-timeout-s': { type: 'string', default: '300' },
    prompts: { type: 'string', default: '../shared/data/prompts.dev.jsonl' },
    'pipeline-env': { type: 'string', multiple: true, default: [] },
  },
});
const num = (name: keyof typeof values, min = 0) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
  return n;
};
const P = {
  syncRate: num('sync-rate', 0.1),
  durationS: num('duration', 1),
  bulkUploads: num('bulk-uploads', 1),
  syncDeadlineS: num('sync-deadline-s', 1),
  asyncDeadlineS: num('async-deadline-s', 1),
  completionWindow: values['completion-window']!,
  simRpm: num('sim-rpm', 1),
  maxTokens: num('max-tokens', 1),
  settleTimeoutS: num('settle-timeout-s', 1),
  model: values.model!,
  waitS: 30,
};
const MIX = mixCounts({
  syncRatePerSec: P.syncRate,
  durationS: P.durationS,
  ...(values.async !== undefined ? { asyncCount: num('async') } : {}),
  ...(values.bulk !== undefined ? { bulkCount: num('bulk') } : {}),
});
const log = (line: string) => console.log(`[bench] ${line}`);
const prompts = parsePromptRows(readFileSync(values.prompts!, 'utf8'));
const runId = Date.now().toString(36);
const body = (mode: BenchMode, i: number) =>
  chatBody(uniquePrompt(prompts, runId, mode, i), P.model, P.maxTokens);

/** Every accepted request of the measured phases (warm-up excluded), by the mode it was sent as. */
const modeById = new Map<string, BenchMode>();
const submitErrors: Record<BenchMode, number> = { sync: 0, async: 0, bulk: 0 };
let bulkRejectedLines = 0;

const infra = await infraUp({ log });
const database = await createTestDatabase(infra.databaseUrl);
const db = createDb(database.url);
let stack: Stack | undefined;
try {
  await upsertTenant(db.prisma, { id: 'bench', name: 'Bench' });
  const key = (await createApiKey(db.prisma, 'bench', 'bench')).key;
  stack = await startBenchStack(database.url);
  const client = ingestClient(stack.ingestUrls[0]!, key, P.waitS);
  log(`warm-up, then phase A: sync alone, ${MIX.sync} at ${P.syncRate}/s`);
  // Warm-up (not measured): connections, JIT, consumer assignments.
  await atFixedRate(
    4,
    12,
    async (i) => void (await client.sync(body('sync', -1 - i), P.syncDeadlineS)),
  );
  const alone = await withCpu(() => syncStream(client, 0));
  log(`phase B: ${MIX.sync} sync + ${MIX.async} async + ${MIX.bulk} bulk over ${P.durationS} s`);
  const mixedStart = performance.now();
  const withBulkLoad = await withCpu(async () => {
    const [sync] = await Promise.all([
      syncStream(client, MIX.sync),
      asyncStream(client),
      bulkStream(client),
    ]);
    return sync;
  });
  const settle = await settleAll(db, mixedStart);
  const report = await buildReport(db, stack, { alone, withBulkLoad, settle });
  console.log(JSON.stringify(report, null, 2));
  for (const line of reportLines(report)) console.log(line);
} finally {
  await stack?.stop();
  await db.close();
  await database.drop();
  if (infra.started.length > 0) await infraDown({ only: infra.started, log });
}

async function startBenchStack(databaseUrl: string): Promise<Stack> {
  const namespace = `dl${runId}`;
  const fallback = values.fallback ? { [P.model]: [values.fallback] } : {};
  const extra = (values['pipeline-env'] ?? []).map((kv) => [
    kv.split('=')[0]!,
    kv.split('=').slice(1).join('='),
  ]);
  log(`stack ${namespace}: simulator ${P.simRpm} rpm, logs in .asahi/logs/${namespace}`);
  return startStack({
    namespace,
    infra: { ...infra, databaseUrl },
    logLevel: 'info',
    simEnv: {
      SIM_RPM: String(P.simRpm),
      SIM_LATENCY_MS: values['sim-latency-ms']!,
      SIM_FAULT_RATE: values['fault-rate']!,
      SIM_FAULT_KINDS: values['fault-kinds']!,
      SIM_BATCH_TURNAROUND_MS: values['sim-batch-turnaround-ms']!,
      LOG_LEVEL: 'warn',
    },
    env: {
      pipeline: {
        // A little under the provider's limit, so the pipeline waits before the provider refuses.
        PROVIDER_LIMITS: JSON.stringify({ '*': { rpm: Math.floor(P.simRpm * 0.9) } }),
        FALLBACK_CHAINS: JSON.stringify(fallback),
        PROVIDER_TIMEOUT_MS: values['provider-timeout-ms']!,
        // The batch policy scaled from hours to seconds, so that a run takes minutes.
        BATCH_API: 'true',
        BATCH_TURNAROUND_MS: '10000',
        BATCH_MARGIN_MS: '5000',
        BATCH_MIN_SIZE: '50',
        BATCH_MAX_WAIT_MS: '3000',
        BATCH_POLL_MS: '1000',
        REALTIME_ALLOWANCE_MS: '5000',
        ...Object.fromEntries(extra),
      },
    },
  });
}

/** Counts a failed submit of a mode and logs the first three, then rethrows for atFixedRate. */
function counted<T>(mode: BenchMode, task: () => Promise<T>): Promise<T> {
  return task().catch((err: unknown) => {
    if (submitErrors[mode]++ < 3) log(`${mode} submit failed: ${(err as Error).message}`);
    throw err;
  });
}

/** Runs a phase and adds where the machine's CPU went meanwhile (every process, % of one core). */
async function withCpu<T extends object>(phase: () => Promise<T>) {
  const [before, t0] = [cpuTicksByLabel(), performance.now()];
  const result = await phase();
  return { ...result, cpu: coreShare(before, cpuTicksByLabel(), (performance.now() - t0) / 1000) };
}

async function syncStream(client: IngestClient, from: number) {
  const samples: SyncSample[] = [];
  const run = await atFixedRate(P.syncRate, MIX.sync, async (i) => {
    const [t0, startedAt] = [performance.now(), Date.now()];
    const { id, terminal } = await counted('sync', () =>
      client.sync(body('sync', from + i), P.syncDeadlineS),
    );
    samples.push({ id, ms: performance.now() - t0, terminal, startedAt, endedAt: Date.now() });
    modeById.set(id, 'sync');
  });
  return { samples, errors: run.errors };
}

async function asyncStream(client: IngestClient) {
  if (MIX.async === 0) return;
  await atFixedRate(MIX.async / P.durationS, MIX.async, async (i) => {
    const { id } = await counted('async', () => client.submit(body('async', i), P.asyncDeadlineS));
    modeById.set(id, 'async');
  });
}

async function bulkStream(client: IngestClient) {
  const sizes = splitEvenly(MIX.bulk, P.bulkUploads);
  const uploads = sizes.map((size, u) => {
    const first = sizes.slice(0, u).reduce((a, b) => a + b, 0);
    const bodies = Array.from({ length: size }, (_, i) => body('bulk', first + i));
    return bulkJsonl(bodies, `u${u}`);
  });
  await atFixedRate(uploads.length / P.durationS, uploads.length, async (u) => {
    const { ids, rejected } = await counted('bulk', () =>
      client.bulk(uploads[u]!, P.completionWindow),
    );
    bulkRejectedLines += rejected;
    for (const id of ids) modeById.set(id, 'bulk');
  });
}

/** Polls PostgreSQL until every accepted request has a result, at most --settle-timeout-s. */
async function settleAll(db: Db, mixedStart: number) {
  const ids = [...modeById.keys()];
  const bound = Date.now() + P.settleTimeoutS * 1000;
  let done = await countCompleted(db, ids);
  let lastLog = 0;
  while (done < ids.length && Date.now() < bound) {
    if (Date.now() - lastLog > 10_000) {
      log(`waiting for results: ${done} of ${ids.length}`);
      lastLog = Date.now();
    }
    await new Promise((r) => setTimeout(r, 1_000));
    done = await countCompleted(db, ids);
  }
  const secondsAfterMixedPhase = Math.round((performance.now() - mixedStart) / 100) / 10;
  return { secondsAfterMixedPhase, timedOut: done < ids.length };
}

type Stream = Awaited<ReturnType<typeof syncStream>> & { cpu: SyncPhase['cpu'] };

async function buildReport(
  db: Db,
  stack: Stack,
  run: { alone: Stream; withBulkLoad: Stream; settle: DeadlineReport['settle'] },
): Promise<DeadlineReport> {
  const rows = await readOutcomes(db, modeById);
  const modes = figuresByMode(rows);
  const attempts = new Map(rows.map((r) => [r.id, r.attempts]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const phase = (s: Stream): SyncPhase => ({
    ...syncLatency(s.samples, attempts),
    errors: s.errors,
    breakdown: syncBreakdown(s.samples, byId),
    cpu: s.cpu,
  });
  const alone = phase(run.alone);
  const withBulkLoad = phase(run.withBulkLoad);
  const missing = rows.filter((r) => r.status === null).length;
  const deadlineMisses = Object.values(modes).reduce((n, m) => n + m.deadlineMisses, 0);
  const reduction = costReduction([modes.async, modes.bulk]);
  const p99Change = relativeChange(alone.all.p99, withBulkLoad.all.p99);
  return {
    params: { ...P, mix: MIX, fault: values['fault-rate'], faultKinds: values['fault-kinds'] },
    modes,
    submitErrors,
    bulkRejectedLines,
    allCompleted: missing === 0,
    missing,
    deadlineMisses,
    costReduction: reduction,
    sync: {
      alone,
      withBulkLoad,
      p99Change,
      firstAttemptP99Change: relativeChange(alone.firstAttempt.p99, withBulkLoad.firstAttempt.p99),
    },
    settle: run.settle,
    offeredRpm: ((MIX.sync + MIX.async + MIX.bulk) / P.durationS) * 60,
    pipeline: await pipelineFigures(stack.apps.pipeline!.url),
    provider: await providerFigures(stack.simUrl!),
    targets: targets({
      deadlineMisses,
      costReduction: reduction,
      syncP99Change: p99Change,
      missing,
    }),
  };
}

/** The pipeline's dispatch metrics over the whole run (warm-up included) and its breakers. */
async function pipelineFigures(url: string): Promise<PipelineFigures> {
  const breakers = JSON.parse((await readOps(`${url}/ops/breakers`)) ?? '{"breakers":[]}') as {
    breakers: unknown[];
  };
  const samples = parsePrometheus((await readOps(`${url}/metrics`)) ?? '');
  return {
    rateLimitWaits: sumBy(samples, 'asahi_rate_limit_waits_total', ['model', 'limited_by']),
    breakerState: sumBy(samples, 'asahi_circuit_breaker_state', ['model']),
    breakers: breakers.breakers,
    costByExecutionUsd: sumBy(samples, 'asahi_cost_by_execution_usd_total', ['execution']),
    deadlineMisses: sumBy(samples, 'asahi_deadline_misses_total', ['mode', 'execution']),
    batchJobs: sumBy(samples, 'asahi_batch_jobs_total', ['event']),
    batchReleases: sumBy(samples, 'asahi_batch_releases_total', ['reason']),
    fallbacks: sumBy(samples, 'asahi_fallbacks_total', ['to', 'reason']),
  };
}

/** What the simulator saw: injected faults, its own RPM refusals, Batch API items. */
async function providerFigures(simUrl: string): Promise<ProviderFigures> {
  const stats = JSON.parse((await readOps(`${simUrl}/sim/stats`)) ?? '{}') as {
    chatCompletions?: number;
    faultsInjected?: Record<string, number>;
    rateLimited?: number;
    batches?: Record<string, number>;
  };
  return {
    chatCompletions: stats.chatCompletions ?? Number.NaN,
    faultsInjected: stats.faultsInjected ?? {},
    rateLimitedByRpm: stats.rateLimited ?? Number.NaN,
    batches: stats.batches ?? {},
  };
}

/** An ops endpoint's body; undefined (logged) when it cannot be read, so the figures still print. */
async function readOps(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (res.ok) return await res.text();
    log(`${url}: HTTP ${res.status}`);
  } catch (err) {
    log(`${url}: ${(err as Error).message}`);
  }
  return undefined;
}
