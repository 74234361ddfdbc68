/**
 * `npm run bench:e2e` — prints, for the simulator at 0 ms and at 50 ms:
 *   - async throughput: requests accepted per second (202s) and completed per second (terminal
 *     results in Postgres), closed loop with a fixed number of client connections;
 *   - sync added latency: p50/p95/p99 of `Prefer: wait` requests at a fixed arrival rate, minus
 *     the same percentiles of direct calls to the simulator through the openai SDK;
 *   - raw BullMQ no-op throughput on the same Redis, for the ratio.
 * Flags: --async N (default 2000) --sync N (default 300) --rate R (sync req/s, default 20)
 *        --connections C (default 32). Targets 127.0.0.1 only; every loop is bounded.
 */
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { createApiKey, createDb, upsertTenant, type Db } from '@asahi/db';
import { createTestDatabase } from '@asahi/db';
import { infraDown, infraUp } from '@asahi/local-infra';
import { startStack } from '@asahi/testing';
import { coreShare, cpuTicksByLabel } from './proc-cpu';
import { atFixedRate, summarize, withConcurrency } from './stats';

const { values } = parseArgs({
  options: {
    async: { type: 'string', default: '2000' },
    sync: { type: 'string', default: '300' },
    rate: { type: 'string', default: '20' },
    connections: { type: 'string', default: '32' },
  },
});
const ASYNC_N = Number(values.async);
const SYNC_N = Number(values.sync);
const RATE = Number(values.rate);
const CONNECTIONS = Number(values.connections);
const log = (line: string) => console.log(`[bench] ${line}`);

const infra = await infraUp({ log });
const database = await createTestDatabase(infra.databaseUrl);
const db = createDb(database.url);
const report: Record<string, unknown> = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  params: { ASYNC_N, SYNC_N, RATE, CONNECTIONS },
};
try {
  await upsertTenant(db.prisma, { id: 'bench', name: 'Bench' });
  const key = (await createApiKey(db.prisma, 'bench', 'bench')).key;
  report.bullmqNoopJobsPerSec = await bullmqNoop(infra.redisUrl, 20_000);
  for (const latencyMs of [0, 50])
    report[`sim${latencyMs}ms`] = await runScenario(latencyMs, key, database.url, db);
  console.log(JSON.stringify(report, null, 2));
  printTable(report);
} finally {
  await db.close();
  await database.drop();
  if (infra.started.length > 0) await infraDown({ only: infra.started, log });
}

async function runScenario(latencyMs: number, apiKey: string, databaseUrl: string, db: Db) {
  const namespace = `bench${latencyMs}x${Date.now().toString(36)}`;
  log(`scenario: simulator latency ${latencyMs} ms (namespace ${namespace})`);
  const stack = await startStack({
    namespace,
    infra: { ...infra, databaseUrl },
    simEnv: { SIM_LATENCY_MS: String(latencyMs) },
    // Throughput of the realtime path: async requests (6 h deadlines) would otherwise wait for
    // the Batch API, which bench:deadline measures.
    env: { pipeline: { BATCH_API: 'false' } },
    logLevel: 'warn',
  });
  try {
    const api = stack.ingestUrls[0]!;
    const submit = (content: string, wait?: number) =>
      fetch(`${api}/v1/jobs`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          ...(wait ? { prefer: `wait=${wait}` } : {}),
        },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content }],
          max_tokens: 16,
        }),
      });
    // Warm up connections, JIT and consumer assignments.
    await withConcurrency(
      4,
      40,
      async (i) => void (await (await submit(`warmup ${namespace} ${i}`, 30)).text()),
    );

    const asyncIds: string[] = [];
    const cpuBefore = cpuTicksByLabel();
    const t0 = performance.now();
    const { errors: asyncErrors } = await withConcurrency(CONNECTIONS, ASYNC_N, async (i) => {
      const res = await submit(`async ${namespace} ${i}`);
      const body = (await res.json()) as { id: string };
      if (res.status !== 202) throw new Error(`status ${res.status}`);
      asyncIds.push(body.id);
    });
    const acceptedSeconds = (performance.now() - t0) / 1000;
    await waitUntil(
      async () =>
        (await db.prisma.result.count({ where: { id: { in: asyncIds } } })) === asyncIds.length,
      600_000,
    );
    const completedSeconds = (performance.now() - t0) / 1000;
    // Where the CPU went while the async load ran: every process shares the same cores.
    const cpu = coreShare(cpuBefore, cpuTicksByLabel(), completedSeconds);

    const direct = new OpenAI({ apiKey: 'sk-bench', baseURL: `${stack.simUrl}/v1`, maxRetries: 0 });
    const directRun = await atFixedRate(RATE, SYNC_N, async (i) => {
      await direct.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `direct ${namespace} ${i}` }],
        max_tokens: 16,
      });
    });
    const syncRun = await atFixedRate(RATE, SYNC_N, async (i) => {
      const res = await submit(`sync ${namespace} ${i}`, 30);
      const body = (await res.json()) as { status: string };
      if (res.status !== 200 || body.status !== 'succeeded')
        throw new Error(`sync answer ${res.status} ${body.status}`);
    });
    const platform = summarize(syncRun.latencies);
    const directStats = summarize(directRun.latencies);
    return {
      async: {
        requests: ASYNC_N,
        errors: asyncErrors,
        acceptedPerSec: round(asyncIds.length / acceptedSeconds),
        completedPerSec: round(asyncIds.length / completedSeconds),
        cpuPercentOfCore: cpu,
      },
      sync: {
        ratePerSec: RATE,
        requests: SYNC_N,
        errors: syncRun.errors,
        platformMs: roundAll(platform),
        directMs: roundAll(directStats),
        addedMs: {
          p50: round(platform.p50 - directStats.p50),
          p95: round(platform.p95 - directStats.p95),
          p99: round(platform.p99 - directStats.p99),
        },
      },
    };
  } finally {
    await stack.stop();
  }
}

/** Raw BullMQ: N no-op jobs added in bulk and processed by one worker, jobs per second. */
async function bullmqNoop(redisUrl: string, n: number): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `bench-noop-${Date.now()}`;
  const queue = new Queue('noop', { connection, prefix });
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  const worker = new Worker('noop', async () => undefined, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix,
    concurrency: 50,
  });
  worker.on('completed', () => ++done === n && finish());
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000)
    await queue.addBulk(
      Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        name: 'noop',
        data: { i: i + j },
        opts: { removeOnComplete: true },
      })),
    );
  await finished;
  const perSec = n / ((performance.now() - t0) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
  return round(perSec);
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('benchmark timed out waiting for completions');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function round(n: number) {
  return Math.round(n * 10) / 10;
}
function roundAll(s: { n: number; p50: number; p95: number; p99: number }) {
  return { n: s.n, p50: round(s.p50), p95: round(s.p95), p99: round(s.p99) };
}

type Percentiles = { p50: number; p95: number; p99: number };
type Scenario = {
  async: {
    acceptedPerSec: number;
    completedPerSec: number;
    cpuPercentOfCore: { label: string; percentOfCore: number }[];
  };
  sync: { platformMs: Percentiles; directMs: Percentiles; addedMs: Percentiles };
};

function printTable(r: Record<string, unknown>) {
  console.log(
    '\nscenario    accepted/s  completed/s  sync p50/p95/p99 (ms)   direct p50/p95/p99   added p50/p95/p99',
  );
  for (const k of ['sim0ms', 'sim50ms']) {
    const s = r[k] as Scenario;
    const f = (o: Percentiles) => `${o.p50}/${o.p95}/${o.p99}`;
    console.log(
      `${k.padEnd(11)} ${String(s.async.acceptedPerSec).padEnd(11)} ${String(s.async.completedPerSec).padEnd(12)} ${f(s.sync.platformMs).padEnd(23)} ${f(s.sync.directMs).padEnd(20)} ${f(s.sync.addedMs)}`,
    );
  }
  for (const k of ['sim0ms', 'sim50ms']) {
    const cpu = (r[k] as Scenario).async.cpuPercentOfCore;
    console.log(
      `CPU during the async load at ${k}, % of one core: ${cpu.map((c) => `${c.label} ${c.percentOfCore}`).join(', ')}`,
    );
  }
  const noop = r.bullmqNoopJobsPerSec as number;
  console.log(
    `raw BullMQ no-op: ${noop} jobs/s; completed/s at 0 ms is ${round((100 * (r.sim0ms as Scenario).async.completedPerSec) / noop)}% of it`,
  );
}
