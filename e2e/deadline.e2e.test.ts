/**
 * Deadline-aware dispatch end to end: every app as its own OS process, real Kafka, Redis and
 * PostgreSQL, the simulator's Batch API behind the openai SDK. A bulk upload goes through the
 * Batch API; the pipeline is killed (-9) while it holds accumulated requests and while a Batch
 * API job is in flight, and every request still ends with exactly one answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createDb, upsertTenant, type Db } from '@asahi/db';
import { createTestDatabase, type TestDatabase } from '@asahi/db';
import { readInfraEndpoints, startStack, type Stack } from '@asahi/testing';
import { apiClient, chatBody, waitFor, type ApiClient } from './support';

const namespace = `e2edl${Date.now().toString(36)}`;
let stack: Stack;
let database: TestDatabase;
let db: Db;
let api: ApiClient;

beforeAll(async () => {
  const infra = readInfraEndpoints();
  if (!infra) throw new Error('infra is not up: run `npm run infra -- up` (npm test does it)');
  database = await createTestDatabase(infra.databaseUrl);
  db = createDb(database.url);
  await upsertTenant(db.prisma, { id: 'acme', name: 'Acme' });
  api = apiClient('', (await createApiKey(db.prisma, 'acme', 'e2e')).key);
  stack = await startStack({
    namespace,
    infra: { ...infra, databaseUrl: database.url },
    // The provider takes 4 s per Batch API job: time to kill the pipeline while one runs.
    simEnv: { SIM_BATCH_TURNAROUND_MS: '4000' },
    env: {
      // A scaled-down batch policy: a request with ≥ 4 s of slack may wait for a batch.
      pipeline: {
        BATCH_TURNAROUND_MS: '3000',
        BATCH_MARGIN_MS: '1000',
        BATCH_MIN_SIZE: '20',
        BATCH_MAX_WAIT_MS: '1500',
        BATCH_POLL_MS: '500',
        REALTIME_ALLOWANCE_MS: '2000',
      },
    },
  });
  api = apiClient(stack.ingestUrls[0]!, (await createApiKey(db.prisma, 'acme', 'e2e-2')).key);
});

afterAll(async () => {
  await stack?.stop();
  await db?.close();
  await database?.drop();
});

const jobsTerminal = (ids: string[]) =>
  waitFor(
    'all jobs terminal',
    async () => {
      const jobs = await db.prisma.job.findMany({
        where: { id: { in: ids } },
        select: { id: true, status: true },
      });
      return jobs.length === ids.length &&
        jobs.every((j) => j.status !== 'queued' && j.status !== 'running')
        ? jobs
        : undefined;
    },
    120_000,
    250,
  );
const dispatchOf = async (ids: string[]) =>
  (
    await db.pool.query<{ id: string; dispatch: { execution: string; batchId?: string } | null }>(
      'select id, dispatch from results where id = any($1)',
      [ids],
    )
  ).rows;
const simBatches = async () =>
  ((await (await fetch(`${stack.simUrl}/sim/stats`)).json()) as { batches: { batches: number } })
    .batches.batches;

describe('the Batch API path, end to end', () => {
  it('a bulk upload is answered through one Batch API job, surviving kill -9 while it runs', async () => {
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({
        custom_id: `line-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: chatBody(`bulk question ${i} (${namespace})`),
      }),
    );
    const upload = await api.raw('/v1/bulk?completion_window=1h', {
      method: 'POST',
      headers: { 'content-type': 'application/jsonl' },
      body: lines.join('\n'),
    });
    expect(upload.status).toBe(202);
    expect(upload.body.accepted).toBe(30);
    const ids = (upload.body.jobs as { id: string }[]).map((j) => j.id);

    // The batch is recorded in PostgreSQL and submitted; kill the pipeline while it runs.
    await waitFor(
      'batch submitted',
      async () => {
        const { rows } = await db.pool.query<{ status: string }>(
          "select status from dispatch_batches where status = 'submitted'",
        );
        return rows.length > 0 ? rows : undefined;
      },
      60_000,
      100,
    );
    await stack.apps.pipeline!.crash();
    await stack.restart('pipeline');

    const jobs = await jobsTerminal(ids);
    expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
    const results = await dispatchOf(ids);
    expect(results).toHaveLength(30);
    expect(results.every((r) => r.dispatch?.execution === 'batch-api')).toBe(true);
    expect(new Set(results.map((r) => r.dispatch?.batchId)).size).toBe(1);
    expect(await simBatches()).toBe(1); // resumed from PostgreSQL, not submitted again
    const view = await api.get(`/v1/jobs/${ids[0]}`);
    expect(view.body.mode).toBe('bulk');
    expect(view.body.result.dispatch).toMatchObject({ execution: 'batch-api' });
  });

  it('kill -9 of the pipeline while it holds accumulated requests loses none of them', async () => {
    const before = await simBatches();
    const submitted = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api.post('/v1/jobs', { ...chatBody(`held ${i} (${namespace})`), deadline_seconds: 600 }),
      ),
    );
    const ids = submitted.map((s) => s.body.id as string);
    // Give dispatch a moment to accumulate them (the batch waits up to 1.5 s for company), then
    // kill it before it can flush.
    await new Promise((r) => setTimeout(r, 700));
    await stack.apps.pipeline!.crash();
    await stack.restart('pipeline');
    const jobs = await jobsTerminal(ids);
    expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
    const results = await dispatchOf(ids);
    expect(results).toHaveLength(5);
    expect(results.every((r) => r.dispatch?.execution === 'batch-api')).toBe(true);
    expect(await simBatches()).toBe(before + 1);
  });

  it('answers a tight-deadline sync request realtime, and shows its breaker on the ops endpoint', async () => {
    const sync = await api.post('/v1/jobs', chatBody(`sync (${namespace})`), {
      prefer: 'wait=20',
    });
    expect(sync.status).toBe(200);
    const [row] = await dispatchOf([sync.body.id as string]);
    expect(row?.dispatch?.execution).toBe('realtime');
    const res = await fetch(`${stack.apps.pipeline!.url}/ops/breakers`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { breakers: { model: string; state: string }[] };
    expect(body.breakers).toContainEqual(
      expect.objectContaining({ model: 'gpt-4o-mini', state: 'closed' }),
    );
  });
});
