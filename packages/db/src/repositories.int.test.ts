import { fixtures, type RequestMessage, type ResultMessage } from '@asahi/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, findActiveKey, listApiKeys, revokeApiKey } from './api-key.repository';
import {
  appendAuditEvents,
  listAuditEvents,
  verifyAuditChain,
  type AuditEventInput,
} from './audit.repository';
import type { PrismaClient } from './client';
import {
  createQueuedJob,
  createQueuedJobs,
  findStuckJobs,
  getJobForTenant,
  markJobRunning,
  markJobsFailed,
} from './job.repository';
import { getResult, saveTerminalResult } from './result.repository';
import { getTenant, upsertTenant } from './tenant.repository';
import { createTestDatabase, type TestDatabase } from './test-database';
import { markAttemptFailed, markDelivered, upsertDelivery } from './webhook-delivery.repository';

let t: TestDatabase;
let prisma: PrismaClient;
let seq = 0;
const uid = (p: string) => `${p}_${Date.now().toString(36)}_${++seq}`;

function request(tenantId: string, requestId = uid('req')): RequestMessage {
  return { ...(fixtures.request() as RequestMessage), tenantId, requestId };
}
function result(req: RequestMessage, over: Partial<ResultMessage> = {}): ResultMessage {
  return {
    ...(fixtures.result() as ResultMessage),
    tenantId: req.tenantId,
    requestId: req.requestId,
    ...over,
  };
}

beforeAll(async () => {
  t = await createTestDatabase();
  prisma = t.db.prisma;
  await upsertTenant(prisma, { id: 'tenant_a', name: 'A' });
  await upsertTenant(prisma, { id: 'tenant_b', name: 'B' });
});
afterAll(async () => {
  await t?.drop();
});

describe('tenants', () => {
  it('upserts (settings kept unless given) and reads back', async () => {
    await upsertTenant(prisma, { id: 'tenant_s', name: 'S', settings: { rpm: 10 } });
    await upsertTenant(prisma, { id: 'tenant_s', name: 'S2' });
    expect(await getTenant(prisma, 'tenant_s')).toMatchObject({
      id: 'tenant_s',
      name: 'S2',
      settings: { rpm: 10 },
    });
    expect(await getTenant(prisma, 'nope')).toBeNull();
  });
});

describe('jobs', () => {
  it('getJobForTenant is tenant-scoped: another tenant’s job is not found', async () => {
    const req = request('tenant_a');
    await createQueuedJob(prisma, req);
    expect(await getJobForTenant(prisma, 'tenant_b', req.requestId)).toBeNull();
    const job = await getJobForTenant(prisma, 'tenant_a', req.requestId);
    expect(job).toMatchObject({
      id: req.requestId,
      tenantId: 'tenant_a',
      status: 'queued',
      mode: 'async',
      model: 'gpt-4o-mini',
      result: null,
    });
    expect(job?.request).toEqual(req);
    expect(job?.callbackUrl).toBe(req.callback?.url);
    expect(job?.createdAt.toISOString()).toBe(req.acceptedAt);

    await saveTerminalResult(prisma, result(req));
    expect(await getResult(prisma, 'tenant_b', req.requestId)).toBeNull();
    expect((await getJobForTenant(prisma, 'tenant_a', req.requestId))?.result).toMatchObject({
      status: 'succeeded',
      costUsd: 0.0000048,
    });
  });

  it('createQueuedJob is idempotent on id, and refuses an id owned by another tenant', async () => {
    const req = request('tenant_a');
    const first = await createQueuedJob(prisma, req);
    const again = await createQueuedJob(prisma, { ...req, body: { ...req.body, model: 'other' } });
    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, job: first.job });
    await expect(createQueuedJob(prisma, { ...req, tenantId: 'tenant_b' })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('creates a batch in one go, with a placeholder row for an unknown tenant', async () => {
    const reqs = [request('tenant_new'), request('tenant_new'), request('tenant_a')];
    const out = await createQueuedJobs(prisma, [...reqs, reqs[0]!]);
    expect(out.map((o) => o.created)).toEqual([true, true, true, false]);
    expect(await getTenant(prisma, 'tenant_new')).toMatchObject({ name: 'tenant_new' });
  });

  it('markJobsFailed fails only non-terminal jobs, with a result carrying the reason', async () => {
    const queued = request('tenant_a');
    const done = request('tenant_a');
    await createQueuedJobs(prisma, [queued, done]);
    await saveTerminalResult(prisma, result(done));
    expect(
      await markJobsFailed(prisma, [queued.requestId, done.requestId], 'kafka unavailable'),
    ).toBe(1);
    const failed = await getJobForTenant(prisma, 'tenant_a', queued.requestId);
    expect(failed).toMatchObject({ status: 'failed', resultId: queued.requestId });
    expect(failed?.result).toMatchObject({
      status: 'failed',
      error: { code: 'unavailable', message: 'kafka unavailable', retryable: true },
    });
    expect((await getJobForTenant(prisma, 'tenant_a', done.requestId))?.status).toBe('succeeded');
    // A late real result does not overturn what the client was told.
    expect(await saveTerminalResult(prisma, result(queued))).toEqual({ firstTime: false });
  });

  it('findStuckJobs returns old non-terminal jobs, oldest first', async () => {
    const old = request('tenant_a');
    const running = request('tenant_a');
    const done = request('tenant_a');
    await createQueuedJobs(prisma, [old, running, done]);
    expect(await markJobRunning(prisma, running.requestId)).toBe(true);
    await saveTerminalResult(prisma, result(done));
    const ids = [old.requestId, running.requestId, done.requestId];
    await prisma.$executeRaw`UPDATE jobs SET updated_at = now() - interval '1 hour' WHERE id = ANY(${ids}::text[])`;
    await prisma.$executeRaw`UPDATE jobs SET updated_at = now() - interval '2 hours' WHERE id = ${old.requestId}`;
    const stuck = await findStuckJobs(prisma, new Date(Date.now() - 30 * 60_000), 1000);
    expect(
      stuck.filter((j) => ids.includes(j.id)).map((j) => [j.id, j.status, j.attempts]),
    ).toEqual([
      [old.requestId, 'queued', 0],
      [running.requestId, 'running', 1],
    ]);
  });
});

describe('saveTerminalResult', () => {
  it('is first-time once; the job turns terminal once and the first outcome wins', async () => {
    const req = request('tenant_a');
    await createQueuedJob(prisma, req);
    expect(await saveTerminalResult(prisma, result(req))).toEqual({ firstTime: true });
    expect(await saveTerminalResult(prisma, result(req))).toEqual({ firstTime: false });
    expect(
      await saveTerminalResult(
        prisma,
        result(req, { status: 'failed', completedAt: '2026-11-22T11:00:00.000Z' }),
      ),
    ).toEqual({ firstTime: false });
    const job = await getJobForTenant(prisma, 'tenant_a', req.requestId);
    expect(job).toMatchObject({ status: 'succeeded', resultId: req.requestId, attempts: 1 });
    expect(job?.completedAt?.toISOString()).toBe('2026-11-22T10:00:01.250Z');
    expect(job?.result).toMatchObject({
      status: 'succeeded',
      provider: 'openai',
      promptTokens: 24,
      completionTokens: 2,
      totalTokens: 26,
      cacheTier: 'none',
      output: { content: 'Tokyo.' },
      timings: { prepare: 2 },
      error: null,
      attempts: 1,
      routing: null,
      tokens: null,
      savings: null,
    });
  });

  it('stores the routing decision, token report and savings when the result carries them', async () => {
    const req = request('tenant_a');
    const routing = {
      mode: 'autopilot' as const,
      taskType: 'classification' as const,
      requestedModel: 'gpt-4o',
      model: 'gpt-4.1-nano',
      reason:
        'autopilot: gpt-4.1-nano is the cheapest model with classification quality 0.86 ≥ floor 0.80 (requested gpt-4o)',
    };
    const tokens = { original: 120, optimized: 90, strategies: ['whitespace', 'dedupe-system'] };
    const savings = { cache: 0, intermediate: 0, routing: 0.0012, tokens: -0.0001, batch: 0.0004 };
    expect(await saveTerminalResult(prisma, result(req, { routing, tokens, savings }))).toEqual({
      firstTime: true,
    });
    expect(await getResult(prisma, 'tenant_a', req.requestId)).toMatchObject({
      routing,
      tokens,
      savings,
    });
    const job = await getJobForTenant(prisma, 'tenant_a', req.requestId);
    expect(job?.result).toMatchObject({ routing, tokens, savings });
    // Absent fields are SQL NULL, not JSON null, so "not reported" stays distinguishable in SQL.
    const other = request('tenant_a');
    await saveTerminalResult(prisma, result(other));
    const [nulls] = await prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM results
      WHERE id = ${other.requestId} AND routing IS NULL AND tokens IS NULL AND savings IS NULL`;
    expect(Number(nulls?.n)).toBe(1);
  });

  it('under concurrent redelivery exactly one call is first', async () => {
    const req = request('tenant_a');
    await createQueuedJob(prisma, req);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => saveTerminalResult(prisma, result(req))),
    );
    expect(outcomes.filter((o) => o.firstTime)).toHaveLength(1);
  });

  it('records a result whose job row is missing, creating a minimal job', async () => {
    const req = request('tenant_b');
    expect(
      await saveTerminalResult(
        prisma,
        result(req, {
          status: 'failed',
          error: { code: 'provider_error', message: 'x', retryable: false },
        }),
      ),
    ).toEqual({ firstTime: true });
    const job = await getJobForTenant(prisma, 'tenant_b', req.requestId);
    expect(job).toMatchObject({
      status: 'failed',
      request: {},
      mode: 'async',
      callbackUrl: req.callback?.url,
    });
    expect(job?.result?.error).toEqual({ code: 'provider_error', message: 'x', retryable: false });
  });
});

describe('api keys', () => {
  it('round-trips: plaintext once, lookup by hash, last use touched, revoked key rejected', async () => {
    const created = await createApiKey(prisma, 'tenant_a', 'ci', ['submitter']);
    expect(created.key).toMatch(/^ask_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$/);
    expect(created.key.startsWith(`ask_${created.prefix}_`)).toBe(true);
    const stored = await prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(created.key.slice(17));

    expect(await findActiveKey(prisma, created.key)).toEqual({
      keyId: created.id,
      tenantId: 'tenant_a',
      roles: ['submitter'],
    });
    const touched = (await listApiKeys(prisma, 'tenant_a')).find((k) => k.id === created.id);
    expect(touched?.lastUsedAt).toBeInstanceOf(Date);
    await findActiveKey(prisma, created.key);
    expect(
      (await prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt,
    ).toEqual(touched?.lastUsedAt);

    expect(await findActiveKey(prisma, `${created.key}x`)).toBeNull();
    expect(await findActiveKey(prisma, 'Bearer nonsense')).toBeNull();
    expect(await revokeApiKey(prisma, 'tenant_b', created.id)).toBe(false);
    expect(await revokeApiKey(prisma, 'tenant_a', created.id)).toBe(true);
    expect(await findActiveKey(prisma, created.key)).toBeNull();
  });

  it('defaults roles and refuses unknown tenants', async () => {
    expect((await createApiKey(prisma, 'tenant_b', 'default')).roles).toEqual([
      'submitter',
      'reader',
    ]);
    await expect(createApiKey(prisma, 'tenant_missing', 'x')).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('audit events', () => {
  const event = (
    tenantId: string,
    requestId: string,
    type: AuditEventInput['type'],
    i: number,
  ): AuditEventInput => ({
    eventId: `${requestId}_${type}_${i}`,
    tenantId,
    requestId,
    type,
    at: `2026-11-22T10:00:0${i}.123Z`,
    data: { i, nested: { b: 1, a: [1, 2] } },
  });

  it('appends idempotently and keeps a verifiable per-tenant hash chain', async () => {
    const r1 = uid('req');
    const batch = [
      event('tenant_h', r1, 'request.accepted', 1),
      event('tenant_h', r1, 'cache.miss', 2),
      event('tenant_i', r1, 'cache.miss', 3),
    ];
    expect(await appendAuditEvents(prisma, [...batch, batch[0]!])).toEqual({ inserted: 3 });
    expect(await appendAuditEvents(prisma, batch)).toEqual({ inserted: 0 });
    const stored = await listAuditEvents(prisma, 'tenant_h', r1);
    expect(stored.map((e) => e.type)).toEqual(['request.accepted', 'cache.miss']);
    expect(stored[0]?.prevHash).toBeNull();
    expect(stored[1]?.prevHash).toBe(stored[0]?.hash);
    expect(stored[0]?.data).toEqual({ i: 1, nested: { b: 1, a: [1, 2] } });

    // Concurrent appenders for one tenant still form a single chain.
    await Promise.all(
      [4, 5, 6, 7].map((i) =>
        appendAuditEvents(prisma, [event('tenant_h', uid('req'), 'provider.call', i)]),
      ),
    );
    expect(await verifyAuditChain(prisma, 'tenant_h', 2)).toEqual({ ok: true, checked: 6 });
    expect(await verifyAuditChain(prisma, 'tenant_i')).toEqual({ ok: true, checked: 1 });

    await prisma.auditEvent.update({ where: { id: batch[1]!.eventId }, data: { data: { i: 99 } } });
    expect(await verifyAuditChain(prisma, 'tenant_h')).toEqual({
      ok: false,
      checked: 1,
      brokenAt: batch[1]!.eventId,
    });
  });
});

describe('webhook deliveries', () => {
  it('upserts once, counts failed attempts, and never undoes a delivery', async () => {
    const input = {
      id: uid('del'),
      jobId: 'job-1',
      tenantId: 'tenant_a',
      url: 'https://example.test/hook',
    };
    const created = await upsertDelivery(prisma, input);
    expect(created).toMatchObject({
      ...input,
      status: 'pending',
      attempts: 0,
      lastStatusCode: null,
      deliveredAt: null,
    });
    expect(await upsertDelivery(prisma, { ...input, url: 'https://other.test' })).toEqual(created);

    expect(
      await markAttemptFailed(prisma, input.id, { statusCode: 503, error: 'busy' }),
    ).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 503, lastError: 'busy' });
    const delivered = await markDelivered(prisma, input.id, 200);
    expect(delivered).toMatchObject({
      status: 'delivered',
      attempts: 2,
      lastStatusCode: 200,
      lastError: null,
    });
    expect(delivered?.deliveredAt).toBeInstanceOf(Date);
    expect(await markAttemptFailed(prisma, input.id, { error: 'late', final: true })).toBeNull();
    expect(await markDelivered(prisma, input.id, 200)).toBeNull();

    const other = await upsertDelivery(prisma, { ...input, id: uid('del') });
    expect(
      await markAttemptFailed(prisma, other.id, { error: 'timeout', final: true }),
    ).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: null });
  });
});
