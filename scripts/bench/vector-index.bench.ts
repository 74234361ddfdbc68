/**
 * `npm run bench:vector [-- --entries 100000 --queries 2000 --dims 512]` — the local VectorIndex
 * (`@asahi/vector-index`) against the real Redis from REDIS_URL (or local infra it starts):
 *   - upsert throughput: bulk (500 per call) and single-entry calls with 8 in flight;
 *   - cold load of a new "process" (second index instance, own connection): full load + IVF build;
 *   - replica memory per entry (typed arrays, and the process heap delta);
 *   - query latency p50/p95/p99 including the Redis sync round trip, idle and while another
 *     "process" writes 100 entries/s;
 *   - recall@1 against exact brute force, for near-duplicate queries (cos ≈ 0.95 to a stored entry,
 *     the semantic-cache case) and fresh queries from the same topics.
 * Data: seeded clustered unit vectors (topics, like sentence embeddings), then the same run on
 * uniform random unit vectors (the worst case for a partitioned index). Flags: --entries N
 * --queries N --recall-queries N (exact checks, slow) --dims D --data clustered|uniform|both.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Redis } from 'ioredis';
import { infraDown, infraUp } from '@asahi/local-infra';
import {
  clusteredUnitVectors,
  createRedisVectorIndex,
  createRng,
  perturbUnitVector,
  uniformUnitVectors,
  type RedisVectorIndex,
  type Rng,
} from '@asahi/vector-index';
import { summarize, withConcurrency } from './stats';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '2000' },
    'recall-queries': { type: 'string', default: '300' },
    dims: { type: 'string', default: '512' },
    data: { type: 'string', default: 'both' },
    /** ANN tuning (defaults: the index's own); e.g. --min-candidates 1536 --min-probes 6. */
    'min-candidates': { type: 'string' },
    'min-probes': { type: 'string' },
  },
});
const ANN = {
  ...(values['min-candidates'] ? { minCandidates: Number(values['min-candidates']) } : {}),
  ...(values['min-probes'] ? { minProbes: Number(values['min-probes']) } : {}),
};
const N = Number(values.entries);
const Q = Number(values.queries);
const R = Math.min(Q, Number(values['recall-queries']));
const D = Number(values.dims);
const log = (line: string) => console.log(`[bench:vector] ${line}`);
const NS = 'bench-tenant';
const NEAR_DUP_NOISE = 0.33; // cos ≈ 1/sqrt(1 + 0.33²) ≈ 0.95
const SPREAD = 0.8; // cos(entry, topic centre) ≈ 0.78; two entries of one topic ≈ 0.6

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const started: Awaited<ReturnType<typeof infraUp>>['started'] = [];
const redisUrl = process.env.REDIS_URL ?? (await upInfra());
const connections: Redis[] = [];
const report: Record<string, unknown> = {
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)),
  },
  params: { entries: N, queries: Q, recallQueries: R, dims: D },
};
try {
  const kinds = values.data === 'both' ? ['clustered', 'uniform'] : [values.data!];
  for (const kind of kinds) report[kind] = await runDataset(kind as 'clustered' | 'uniform');
  (report.machine as Record<string, unknown>).loadavgAtEnd = os.loadavg().map((x) => +x.toFixed(2));
  console.log(JSON.stringify(report, null, 2));
} finally {
  await Promise.all(connections.map((c) => c.quit()));
  if (started.length > 0) await infraDown({ only: started, log });
}

async function upInfra(): Promise<string> {
  const infra = await infraUp({ log });
  started.push(...infra.started);
  return infra.redisUrl;
}

function newProcess(prefix: string, maxEntries: number): RedisVectorIndex {
  const redis = new Redis(redisUrl);
  connections.push(redis);
  return createRedisVectorIndex({
    redis,
    prefix,
    dimensions: D,
    maxEntriesPerNamespace: maxEntries,
    ann: ANN,
  });
}

async function runDataset(kind: 'clustered' | 'uniform') {
  const rng = createRng(kind === 'clustered' ? 42 : 43);
  const prefix = `asahi:bench:vec:${Date.now().toString(36)}:${kind}`;
  log(`${kind}: generating ${N} × ${D} vectors`);
  const clusters = Math.max(1, Math.round(N / 100));
  const set =
    kind === 'clustered'
      ? clusteredUnitVectors(N, D, rng, { clusters, spread: SPREAD })
      : { vectors: uniformUnitVectors(N, D, rng), centers: undefined };
  const row = (i: number) => set.vectors.subarray(i * D, (i + 1) * D);
  const writer = newProcess(prefix, N + 50_000);
  try {
    const upserts = await fill(writer, row);
    const reader = newProcess(prefix, N + 50_000);
    const cold = await coldLoad(reader);
    const queries = makeQueries(kind, rng, row, set.centers);
    const idle = await timeQueries(reader, queries);
    const syncOnly = await timeSyncs(reader, Math.min(Q, 1000));
    const recall = measureRecall(set.vectors, queries.slice(0, R), idle.firstIds);
    const withWrites = await timeQueriesWhileWriting(reader, writer, queries, rng);
    const result = {
      upserts,
      cold,
      queryMs: idle.stats,
      syncRoundTripMs: syncOnly,
      queryMsWhileWriting: withWrites,
      recallAt1: recall,
    };
    log(`${kind}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await dropPrefix(prefix);
  }
}

async function fill(writer: RedisVectorIndex, row: (i: number) => Float32Array) {
  const batch = 500;
  const t0 = performance.now();
  for (let i = 0; i < N; i += batch) {
    const entries = [];
    for (let j = i; j < Math.min(N, i + batch); j++)
      entries.push({ id: `e${j}`, vector: row(j), metadata: { answerKey: `k${j}` } });
    await writer.upsert(NS, entries);
  }
  const bulkPerSec = N / ((performance.now() - t0) / 1000);
  const singles = Math.min(2000, N);
  const lat: number[] = [];
  const t1 = performance.now();
  await withConcurrency(8, singles, async (i) => {
    const s = performance.now();
    await writer.upsert(NS, [{ id: `s${i}`, vector: row(i), metadata: { answerKey: `s${i}` } }]);
    lat.push(performance.now() - s);
  });
  const singlePerSec = singles / ((performance.now() - t1) / 1000);
  await writer.delete(
    NS,
    Array.from({ length: singles }, (_, i) => `s${i}`),
  );
  return {
    bulkEntriesPerSec: Math.round(bulkPerSec),
    singleEntryCallsPerSec: Math.round(singlePerSec),
    singleEntryMs: summarize(lat),
  };
}

async function coldLoad(reader: RedisVectorIndex) {
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  await reader.sync(NS);
  const coldLoadMs = performance.now() - t0;
  gc();
  const after = process.memoryUsage();
  const stats = await reader.stats(NS);
  const entries = stats.replica?.entries ?? 0;
  const heapDelta = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  return {
    coldLoadMs: Math.round(coldLoadMs),
    indexBuildMs: Math.round(stats.replica?.lastBuildMs ?? 0),
    entries,
    typedArrayBytesPerEntry: Math.round((stats.replica?.typedArrayBytes ?? 0) / entries),
    processBytesPerEntry: Math.round(heapDelta / entries),
  };
}

interface BenchQuery {
  kind: 'near-duplicate' | 'fresh';
  vector: Float32Array;
}

/** Alternates near-duplicates of stored entries and fresh vectors from the same distribution. */
function makeQueries(
  kind: string,
  rng: Rng,
  row: (i: number) => Float32Array,
  centers?: Float32Array,
): BenchQuery[] {
  return Array.from({ length: Q }, (_, i) => {
    if (i % 2 === 0)
      return {
        kind: 'near-duplicate',
        vector: perturbUnitVector(row(rng.int(N)), NEAR_DUP_NOISE, rng),
      };
    const vector =
      kind === 'clustered'
        ? clusteredUnitVectors(1, D, rng, { clusters: 0, spread: SPREAD, centers }).vectors
        : uniformUnitVectors(1, D, rng);
    return { kind: 'fresh', vector };
  });
}

async function timeQueries(reader: RedisVectorIndex, queries: BenchQuery[]) {
  const lat: number[] = [];
  const firstIds: (string | undefined)[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    const [best] = await reader.query(NS, q.vector, { topK: 1 });
    lat.push(performance.now() - t0);
    firstIds.push(best?.id);
  }
  return { stats: summarize(lat), firstIds };
}

/** The Redis part of a query alone: one sync round trip with nothing to apply. */
async function timeSyncs(reader: RedisVectorIndex, n: number) {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await reader.sync(NS);
    lat.push(performance.now() - t0);
  }
  return summarize(lat);
}

/** Another "process" upserts one entry every 10 ms, so most syncs carry a change. */
async function timeQueriesWhileWriting(
  reader: RedisVectorIndex,
  writer: RedisVectorIndex,
  queries: BenchQuery[],
  rng: Rng,
) {
  let stop = false;
  let written = 0;
  const writing = (async () => {
    while (!stop) {
      const v = uniformUnitVectors(1, D, rng);
      await writer.upsert(NS, [{ id: `w${written++}`, vector: v, metadata: {} }]);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    const { stats } = await timeQueries(reader, queries);
    return { ...stats, concurrentUpserts: written };
  } finally {
    stop = true;
    await writing;
  }
}

/** recall@1 per query kind: the approximate answer is the exact nearest stored entry. */
function measureRecall(
  vectors: Float32Array,
  queries: BenchQuery[],
  approxIds: (string | undefined)[],
) {
  const hits: Record<string, { n: number; hits: number }> = {};
  queries.forEach((q, i) => {
    const exact = `e${exactNearest(vectors, q.vector)}`;
    const h = (hits[q.kind] ??= { n: 0, hits: 0 });
    h.n++;
    if (approxIds[i] === exact) h.hits++;
  });
  return Object.fromEntries(
    Object.entries(hits).map(([k, h]) => [k, { n: h.n, recall: +(h.hits / h.n).toFixed(3) }]),
  );
}

function exactNearest(vectors: Float32Array, q: Float32Array): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < N; r++) {
    let s = 0;
    const off = r * D;
    for (let j = 0; j < D; j++) s += q[j]! * vectors[off + j]!;
    if (s > bestScore) {
      bestScore = s;
      best = r;
    }
  }
  return best;
}

async function dropPrefix(prefix: string) {
  const admin = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}
