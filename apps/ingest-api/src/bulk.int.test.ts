import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestMessageSchema } from '@asahi/contracts';
import { createApiKey, upsertTenant } from '@asahi/db';
import { createBatchingSender, createJsonProducer } from '@asahi/kafka';
import { createRegistry } from '@asahi/metrics';
import { buildIngestApp } from './build-app';
import { bulkIdFor, bulkRequestIdFor } from './bulk-request';
import { setupIngestFixture, waitFor, type IngestFixture } from './ingest-api.fixture';

/**
 * POST /v1/bulk on the real runtime (Postgres, Kafka, Redis), and the per-tenant deadline
 * defaults read from `tenants.settings.policy` (tenant_b has a policy, tenant_a none).
 */
let f: IngestFixture;
let readerKey: string;

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Capital of Japan?' }] };
const line = (customId: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: chat,
    ...over,
  });

interface BulkBody {
  id: string;
  object: string;
  accepted: number;
  rejected: { line: number; custom_id?: string; code: string; message: string }[];
  deadline_at: string;
  jobs: { custom_id: string; id: string }[];
  error?: { type: string; code: string; message: string; requestId: string };
}

beforeAll(async () => {
  f = await setupIngestFixture();
  // Before tenant_b's first request, so no instance has cached its (empty) policy yet.
  await upsertTenant(f.db.prisma, {
    id: 'tenant_b',
    name: 'B',
    settings: { policy: { deadlines: { asyncSeconds: 600, bulkSeconds: 3_600 } } },
  });
  readerKey = (await createApiKey(f.db.prisma, 'tenant_a', 'reader', ['reader'])).key;
});

afterAll(async () => {
  await f?.close();
});

function upload(
  text: string,
  options: { key?: string; query?: string; headers?: Record<string, string> } = {},
) {
  return fetch(`${f.A.url}/v1/bulk${options.query ?? ''}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/jsonl',
      authorization: `Bearer ${options.key ?? f.keys.a}`,
      ...options.headers,
    },
    body: text,
  });
}

const seconds = (from: string | Date, to: string | Date) =>
  (new Date(to).getTime() - new Date(from).getTime()) / 1000;

describe('POST /v1/bulk', () => {
  it('accepts the good lines, lists the bad ones, stores and produces bulk jobs; a replay maps to the same jobs', async () => {
    const text = [
      line('row-1', { body: { ...chat, metadata: { source: 'crm' } } }),
      '{"custom_id": "broken", ',
      '',
      line('row-2', { url: '/v1/embeddings' }),
      line('row-3', { body: { ...chat, model: 'gpt-9' } }),
      line('row-1'),
      line('row-4'),
    ].join('\r\n');
    const idempotencyKey = `bulk-${f.ns}`;
    const res = await upload(text, {
      query: '?completion_window=2h&priority=background',
      headers: { 'idempotency-key': idempotencyKey, 'x-request-id': 'bulk-int-1' },
    });
    expect(res.status).toBe(202);
    const bulk = (await res.json()) as BulkBody;
    expect(bulk).toMatchObject({ object: 'asahi.bulk', accepted: 2 });
    expect(bulk.id).toBe(bulkIdFor('tenant_a', idempotencyKey, 0));
    expect(bulk.rejected.map((r) => [r.line, r.custom_id, r.code])).toEqual([
      [2, undefined, 'invalid_request'],
      [4, 'row-2', 'invalid_request'],
      [5, 'row-3', 'unknown_model'],
      [6, 'row-1', 'invalid_request'],
    ]);
    expect(bulk.rejected[0]!.message).toMatch(/Malformed JSON/);
    expect(bulk.rejected[3]!.message).toMatch(/duplicate custom_id \(first on line 1\)/);
    expect(bulk.jobs).toEqual([
      { custom_id: 'row-1', id: bulkRequestIdFor('tenant_a', bulk.id, 'row-1') },
      { custom_id: 'row-4', id: bulkRequestIdFor('tenant_a', bulk.id, 'row-4') },
    ]);

    for (const { id } of bulk.jobs) {
      const read = await fetch(`${f.B.url}/v1/jobs/${id}`, { headers: { 'x-api-key': f.keys.a } });
      expect(read.status).toBe(200);
      const job = (await read.json()) as {
        mode: string;
        status: string;
        createdAt: string;
        deadlineAt: string;
      };
      expect(job).toMatchObject({ mode: 'bulk', status: 'queued', deadlineAt: bulk.deadline_at });
      expect(seconds(job.createdAt, job.deadlineAt)).toBe(7_200);
    }

    const produced = await waitFor(() => {
      const found = bulk.jobs.map((j) => f.consumed.find((c) => c.value.requestId === j.id));
      return found.every(Boolean) ? found.map((c) => c!) : undefined;
    });
    for (const [i, record] of produced.entries()) {
      expect(requestMessageSchema.parse(record.value)).toEqual(record.value);
      expect(record.key).toBe(bulk.jobs[i]!.id);
      expect(record.value).toMatchObject({
        mode: 'bulk',
        tenantId: 'tenant_a',
        priority: 'background',
        deadlineAt: bulk.deadline_at,
        body: chat,
      });
      expect(record.value.metadata).toMatchObject({
        bulk_id: bulk.id,
        custom_id: bulk.jobs[i]!.custom_id,
      });
    }
    expect(produced[0]!.value.metadata?.source).toBe('crm');
    expect(f.consumed.some((c) => c.value.metadata?.custom_id === 'row-2')).toBe(false);

    // The same upload again, on the other instance: same bulk, same jobs, same deadline.
    const again = await fetch(`${f.B.url}/v1/bulk?completion_window=2h&priority=background`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        authorization: `Bearer ${f.keys.a}`,
        'idempotency-key': idempotencyKey,
      },
      body: text,
    });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const replay = (await again.json()) as BulkBody;
    expect(replay).toEqual(bulk);
    const rows = await f.db.prisma.job.count({ where: { id: { in: bulk.jobs.map((j) => j.id) } } });
    expect(rows).toBe(2);

    const metrics = await (await fetch(`${f.A.url}/metrics`)).text();
    expect(metrics).toMatch(/asahi_ingest_accepted_total\{[^}]*mode="bulk"[^}]*\} 2/);
    expect(metrics).toMatch(
      /asahi_ingest_bulk_rejected_lines_total\{[^}]*code="unknown_model"[^}]*\} 1/,
    );
  });

  it('without completion_window: the tenant policy bulk default, else DEFAULT_BULK_DEADLINE_S', async () => {
    const ofB = (await (await upload(line('b-1'), { key: f.keys.b })).json()) as BulkBody;
    const ofA = (await (await upload(line('a-1'))).json()) as BulkBody;
    const created = async (id: string) =>
      (await f.db.prisma.job.findUniqueOrThrow({ where: { id } })).createdAt;
    expect(seconds(await created(ofB.jobs[0]!.id), ofB.deadline_at)).toBe(3_600);
    expect(seconds(await created(ofA.jobs[0]!.id), ofA.deadline_at)).toBe(86_400);
  });

  it('every line bad → 400 with the error shape and the rejected lines', async () => {
    const res = await upload(`nope\n${line('x', { method: 'GET' })}`, {
      headers: { 'x-request-id': 'bulk-all-bad' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as BulkBody;
    expect(body.error).toEqual({
      type: 'invalid_request_error',
      code: 'invalid_request',
      message: expect.stringMatching(/No line/),
      requestId: 'bulk-all-bad',
    });
    expect(body).toMatchObject({ object: 'asahi.bulk', accepted: 0, jobs: [] });
    expect(body.rejected.map((r) => [r.line, r.custom_id])).toEqual([
      [1, undefined],
      [2, 'x'],
    ]);
  });

  const cases: {
    name: string;
    text: string;
    query?: string;
    headers?: Record<string, string>;
    reader?: boolean;
    status: number;
    message?: RegExp;
  }[] = [
    { name: 'an empty body', text: '', status: 400, message: /no lines/ },
    { name: 'only blank lines', text: '\n\r\n', status: 400, message: /no lines/ },
    {
      name: 'a bad completion_window',
      text: line('a'),
      query: '?completion_window=tomorrow',
      status: 400,
      message: /completion_window/,
    },
    {
      name: 'a JSON content type',
      text: line('a'),
      headers: { 'content-type': 'application/json' },
      status: 415,
    },
    { name: 'a key without the submitter role', text: line('a'), reader: true, status: 403 },
  ];
  it.each(cases)('$name → $status', async ({ text, query, headers, reader, status, message }) => {
    const res = await upload(text, {
      ...(query ? { query } : {}),
      ...(headers ? { headers } : {}),
      ...(reader ? { key: readerKey } : {}),
    });
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { message: string } };
    if (message) expect(body.error.message).toMatch(message);
  });
});

describe('upload limits', () => {
  it('a body over BULK_MAX_BYTES → 413, more lines than BULK_MAX_LINES → 400', async () => {
    const small = await buildIngestApp({
      ...f.A.runtime.deps,
      registry: createRegistry('ingest-api'),
      limits: { ...f.A.runtime.deps.limits, bulkMaxBytes: 2_048, bulkMaxLines: 2 },
    });
    try {
      const send = (payload: string) =>
        small.app.inject({
          method: 'POST',
          url: '/v1/bulk',
          headers: { authorization: `Bearer ${f.keys.a}`, 'content-type': 'text/plain' },
          payload,
        });
      const big = await send(Array.from({ length: 20 }, (_, i) => line(`big-${i}`)).join('\n'));
      expect(big.statusCode).toBe(413);
      expect(big.json()).toMatchObject({ error: { code: 'payload_too_large' } });
      const many = await send([line('m-1'), line('m-2'), line('m-3')].join('\n'));
      expect(many.statusCode).toBe(400);
      expect(many.json()).toMatchObject({
        error: { code: 'invalid_request', message: expect.stringMatching(/at most 2 lines/) },
      });
      const fits = await send([line('m-1'), '', line('m-2')].join('\n'));
      expect(fits.statusCode).toBe(202);
    } finally {
      await small.app.close();
    }
  });
});

describe('POST /v1/jobs with tenant deadline defaults', () => {
  it('a tenant policy sets the async default; a request deadline still wins', async () => {
    const post = (body: unknown) =>
      fetch(`${f.A.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${f.keys.b}` },
        body: JSON.stringify(body),
      });
    const byPolicy = (await (await post(chat)).json()) as { createdAt: string; deadlineAt: string };
    expect(seconds(byPolicy.createdAt, byPolicy.deadlineAt)).toBe(600);
    const own = (await (
      await post({ ...chat, deadline_seconds: 90, priority: 'interactive' })
    ).json()) as {
      id: string;
      createdAt: string;
      deadlineAt: string;
    };
    expect(seconds(own.createdAt, own.deadlineAt)).toBe(90);
    const record = await waitFor(() => f.consumed.find((c) => c.value.requestId === own.id));
    expect(record.value.priority).toBe('interactive');
  });
});

describe('Kafka failure', () => {
  it('answers 503 and withdraws the created jobs; a retry with the same key is accepted afresh', async () => {
    const producer = await createJsonProducer(f.kafka('broken-bulk'));
    await producer.disconnect();
    const broken = await buildIngestApp({
      ...f.A.runtime.deps,
      registry: createRegistry('ingest-api'),
      sender: createBatchingSender(producer, { topic: f.A.runtime.names.topics.requests }),
    });
    try {
      const idempotencyKey = `bulk-outage-${f.ns}`;
      const text = [line('o-1'), line('o-2')].join('\n');
      const res = await broken.app.inject({
        method: 'POST',
        url: '/v1/bulk',
        headers: {
          authorization: `Bearer ${f.keys.a}`,
          'content-type': 'application/jsonl',
          'idempotency-key': idempotencyKey,
        },
        payload: text,
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ error: { code: 'unavailable' } });
      const bulkId = bulkIdFor('tenant_a', idempotencyKey, 0);
      const ids = ['o-1', 'o-2'].map((c) => bulkRequestIdFor('tenant_a', bulkId, c));
      expect(await f.db.prisma.job.count({ where: { id: { in: ids } } })).toBe(0);

      const retry = await upload(text, { headers: { 'idempotency-key': idempotencyKey } });
      expect(retry.status).toBe(202);
      expect(((await retry.json()) as BulkBody).jobs.map((j) => j.id)).toEqual(ids);
    } finally {
      await broken.app.close();
    }
  });
});
