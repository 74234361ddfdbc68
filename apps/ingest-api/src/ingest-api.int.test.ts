import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS, requestMessageSchema } from '@asahi/contracts';
import { createBatchingSender, createJsonProducer } from '@asahi/kafka';
import { createRegistry } from '@asahi/metrics';
import { buildIngestApp } from './build-app';
import {
  setupIngestFixture,
  waitFor,
  type IngestFixture,
  type Instance,
} from './ingest-api.fixture';
import { requestIdFor } from './job-request';

const chat = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'What is the capital of Japan?' }],
  temperature: 0,
  max_tokens: 16,
};

let f: IngestFixture;
let A: Instance;
let B: Instance;
let NS: string;

beforeAll(async () => {
  f = await setupIngestFixture();
  ({ A, B, ns: NS } = f);
});

afterAll(async () => {
  await f?.close();
});

function post(instance: Instance, body: unknown, headers: Record<string, string> = {}, query = '') {
  return fetch(`${instance.url}/v1/jobs${query}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${f.keys.a}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function get(
  instance: Instance,
  id: string,
  key = f.keys.a,
  query = '',
  headers: Record<string, string> = {},
) {
  return fetch(`${instance.url}/v1/jobs/${id}${query}`, {
    headers: { 'x-api-key': key, ...headers },
  });
}

describe('auth', () => {
  it.each([
    ['no key', {}],
    ['unknown bearer key', { authorization: 'Bearer ask_nope_nope' }],
    ['unknown x-api-key', { 'x-api-key': 'ask_nope_nope' }],
  ])('%s → 401 with the error shape and x-request-id', async (_name, headers) => {
    const res = await fetch(`${A.url}/v1/jobs/req_x`, {
      headers: { ...headers, 'x-request-id': 'trace-401' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe('trace-401');
    expect(await res.json()).toEqual({
      error: {
        type: 'authentication_error',
        code: 'unauthenticated',
        message: expect.any(String),
        requestId: 'trace-401',
      },
    });
  });
});

describe('POST /v1/jobs validation', () => {
  it('malformed JSON → 400 invalid_request', async () => {
    const res = await post(A, '{"model": "gpt-4o-mini", "messages": [');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_request',
      requestId: res.headers.get('x-request-id'),
    });
    expect(body.error.message).toMatch(/JSON/);
  });

  it('schema violation → 400 with the precise path and reason', async () => {
    const res = await post(A, {
      ...chat,
      messages: [{ role: 'robot', content: 'x' }],
      temperature: 9,
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as {
      error: { code: string; message: string; details: { issues: { path: string }[] } };
    };
    expect(error.code).toBe('invalid_request');
    expect(error.details.issues.map((i) => i.path).sort()).toEqual([
      'messages.0.role',
      'temperature',
    ]);
    expect(error.message).toContain('messages.0.role: ');
  });

  it('wrong content type → 415', async () => {
    const res = await post(A, 'hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('invalid ?wait → 400', async () => {
    const res = await post(A, chat, {}, '?wait=soon');
    expect(res.status).toBe(400);
  });
});

describe('accept, produce, read', () => {
  it('202 only after Kafka has the exact RequestMessage; GET shows it queued; other tenants get 404', async () => {
    const res = await post(
      A,
      { ...chat, metadata: { source: 'int-test' } },
      { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    );
    expect(res.status).toBe(202);
    const job = (await res.json()) as {
      id: string;
      object: string;
      status: string;
      mode: string;
      result: unknown;
    };
    expect(job).toMatchObject({
      object: 'job',
      status: 'queued',
      mode: 'async',
      model: 'gpt-4o-mini',
      result: null,
    });
    expect(res.headers.get('location')).toBe(`/v1/jobs/${job.id}`);

    const record = await waitFor(() => f.consumed.find((c) => c.value.requestId === job.id));
    expect(requestMessageSchema.parse(record.value)).toEqual(record.value);
    expect(record.key).toBe(job.id);
    expect(record.headers).toMatchObject({
      [HEADERS.requestId]: job.id,
      [HEADERS.tenantId]: 'tenant_a',
      [HEADERS.schemaVersion]: '1',
    });
    expect(record.value).toEqual({
      schemaVersion: 1,
      requestId: job.id,
      tenantId: 'tenant_a',
      mode: 'async',
      acceptedAt: expect.any(String),
      deadlineAt: expect.any(String),
      body: chat,
      metadata: { source: 'int-test' },
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    const stored = await f.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(stored.request).toEqual(record.value);
    expect(Date.parse(record.value.deadlineAt) - Date.parse(record.value.acceptedAt)).toBe(
      6 * 3600 * 1000,
    );

    const read = await get(B, job.id);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      id: job.id,
      object: 'job',
      status: 'queued',
      result: null,
      completedAt: null,
    });

    const foreign = await get(A, job.id, f.keys.b);
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('Idempotency-Key: a retry returns the same job (re-producing it only while still queued); another body is a 409', async () => {
    const headers = { 'idempotency-key': `order-${NS}` };
    const first = await post(A, chat, headers);
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    await waitFor(() => f.consumed.some((c) => c.value.requestId === id));

    const again = await post(B, chat, headers);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(id);

    const otherTenant = await post(A, chat, { ...headers, authorization: `Bearer ${f.keys.b}` });
    expect(((await otherTenant.json()) as { id: string }).id).not.toBe(id);

    const conflicting = await post(A, { ...chat, temperature: 1 }, headers);
    expect(conflicting.status).toBe(409);

    // No pipeline runs here, so the job is still queued: the retry produced the same message
    // again (same id and timestamps), which the pipeline dedupes on the request id.
    await waitFor(() => f.consumed.filter((c) => c.value.requestId === id).length === 2);
    const copies = f.consumed.filter((c) => c.value.requestId === id).map((c) => c.value);
    expect(copies[1]).toEqual(copies[0]);
  });

  it('logs one line per request with the request id and tenant id', async () => {
    const res = await post(A, chat);
    const { id } = (await res.json()) as { id: string };
    const line = await waitFor(() =>
      A.logLines.find((l) => l.requestId === id && l.msg === 'request'),
    );
    expect(line).toMatchObject({
      tenantId: 'tenant_a',
      statusCode: 202,
      method: 'POST',
      url: '/v1/jobs',
    });
    expect(JSON.stringify(A.logLines)).not.toContain('capital of Japan');
  });
});

describe('sync wait', () => {
  it('POST with Prefer: wait=5 answers 200 with the result inline once it is announced', async () => {
    const started = Date.now();
    const pending = post(A, chat, { prefer: 'wait=5' });
    const job = await waitFor(() =>
      [...f.consumed]
        .reverse()
        .find((c) => c.value.mode === 'sync' && Date.parse(c.value.acceptedAt) >= started - 1000),
    );
    await waitFor(() => A.runtime.deps.waiter.channels > 0);
    const announcedAt = Date.now();
    await f.announceResult(job.value.requestId);
    const res = await pending;
    expect(Date.now() - announcedAt).toBeLessThan(2_000);
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=5');
    expect(await res.json()).toEqual({
      id: job.value.requestId,
      object: 'job',
      status: 'succeeded',
      mode: 'sync',
      model: 'gpt-4o-mini',
      createdAt: expect.any(String),
      deadlineAt: job.value.deadlineAt,
      completedAt: expect.any(String),
      result: {
        output: { id: 'chatcmpl-1', model: 'gpt-4o-mini', content: 'Tokyo.', finishReason: 'stop' },
        usage: { promptTokens: 12, completionTokens: 2, totalTokens: 14 },
        costUsd: 0.000003,
        baselineCostUsd: 0.000003,
        cacheTier: 'none',
        model: 'gpt-4o-mini',
        provider: 'openai',
        attempts: 1,
        timings: { dispatch: 12.5 },
        error: null,
        routing: null,
        tokens: null,
        savings: null,
        dispatch: null,
      },
    });
    expect(Date.parse(job.value.deadlineAt) - Date.parse(job.value.acceptedAt)).toBe(60_000);
    expect(A.runtime.deps.waiter.channels).toBe(0);
  });

  it('times out into 202 with the job handle when nothing is announced', async () => {
    const started = Date.now();
    const res = await post(A, chat, {}, '?wait=1');
    expect(res.status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(await res.json()).toMatchObject({
      object: 'job',
      status: 'queued',
      mode: 'sync',
      result: null,
    });
    expect(A.runtime.deps.waiter.channels).toBe(0);
  });

  it('two instances: a job accepted by B and awaited on A and B is seen by both when announced', async () => {
    const res = await post(B, chat);
    const { id } = (await res.json()) as { id: string };
    const onA = get(A, id, f.keys.a, '?wait=10');
    const onB = get(B, id, f.keys.a, '', { prefer: 'wait=10' });
    await waitFor(() => A.runtime.deps.waiter.channels > 0 && B.runtime.deps.waiter.channels > 0);
    await f.announceResult(id);
    const [ra, rb] = await Promise.all([onA, onB]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(
      ((await ra.json()) as { result: { output: { content: string } } }).result.output.content,
    ).toBe('Tokyo.');
    expect(((await rb.json()) as { status: string }).status).toBe('succeeded');
  });

  it('a result that landed before the wait began is returned at once (subscribe, then read)', async () => {
    const res = await post(A, chat);
    const { id } = (await res.json()) as { id: string };
    await f.announceResult(id);
    const started = Date.now();
    const read = await get(B, id, f.keys.a, '?wait=10');
    expect(read.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('GET with wait on an unknown id is a 404 without waiting', async () => {
    const res = await get(A, 'req_DOESNOTEXIST', f.keys.a, '?wait=10');
    expect(res.status).toBe(404);
  });
});

describe('Kafka failure', () => {
  it('answers 503 with retry-after and withdraws the job, so an idempotent retry starts afresh', async () => {
    // A real producer that is no longer connected: every send fails as it would in an outage.
    const producer = await createJsonProducer(f.kafka('broken'));
    await producer.disconnect();
    const broken = await buildIngestApp({
      ...A.runtime.deps,
      registry: createRegistry('ingest-api'),
      sender: createBatchingSender(producer, { topic: A.runtime.names.topics.requests }),
    });
    try {
      const idempotencyKey = `outage-${NS}`;
      const res = await broken.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { authorization: `Bearer ${f.keys.a}`, 'idempotency-key': idempotencyKey },
        payload: chat,
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ error: { code: 'unavailable', type: 'api_error' } });
      const id = requestIdFor('tenant_a', idempotencyKey, 0);
      expect(f.consumed.some((c) => c.value.requestId === id)).toBe(false);
      expect((await get(A, id)).status).toBe(404);
      const retry = await post(A, chat, { 'idempotency-key': idempotencyKey });
      expect(retry.status).toBe(202);
      expect(await retry.json()).toMatchObject({ id, status: 'queued' });
    } finally {
      await broken.app.close();
    }
  });
});

describe('ops and admin', () => {
  it('/ready checks Postgres, Redis and Kafka; /metrics has the ingest counters', async () => {
    expect((await fetch(`${A.url}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${A.url}/metrics`)).text();
    expect(metrics).toMatch(/asahi_ingest_accepted_total\{[^}]*mode="async"/);
    expect(metrics).toMatch(/asahi_ingest_rejected_total\{[^}]*code="unauthenticated"/);
    expect(metrics).toMatch(/asahi_ingest_sync_wait_total\{[^}]*outcome="completed"/);
    expect(metrics).toContain('asahi_ingest_produce_duration_seconds_bucket');
  });

  it('Bull Board needs HTTP Basic with an admin key, then serves its page, assets and API', async () => {
    const basic = (password: string) => ({
      authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`,
    });
    const anonymous = await fetch(`${A.url}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="asahi"');
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe(
      'unauthenticated',
    );
    expect((await fetch(`${A.url}/admin/queues`, { headers: basic(f.keys.a) })).status).toBe(401);

    const page = await fetch(`${A.url}/admin/queues`, { headers: basic(f.keys.admin) });
    expect(page.status).toBe(200);
    const html = await page.text();
    // The page loads its assets relative to <base href>, which must be the mount point.
    const base = /<base href="([^"]+)"/.exec(html)?.[1];
    expect(base).toBe('/admin/queues/');
    const asset = /src="([^"]*static\/js\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const assetUrl = new URL(asset!, new URL(base!, A.url)).toString();
    expect(assetUrl).toContain('/admin/queues/static/');
    const assetRes = await fetch(assetUrl, { headers: basic(f.keys.admin) });
    expect(assetRes.status).toBe(200);
    expect((await fetch(assetUrl)).status).toBe(401);

    const api = await fetch(`${A.url}/admin/queues/api/queues`, { headers: basic(f.keys.admin) });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues
      .map((q) => q.name)
      .sort();
    expect(names).toEqual(['asahi-dispatch', 'asahi-prepare', 'asahi-steps', 'asahi-webhook']);
  });
});
