import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, upsertTenant } from '@asahi/db';
import { setupIngestFixture, type IngestFixture } from './ingest-api.fixture';

/**
 * What POST /v1/jobs and POST /v1/bulk check before accepting, on the real runtime (the model
 * registry seeded in Postgres, tenant policies in `tenants.settings`): models run as named (the
 * EXPLICIT model, every step's model) under the effective routing mode, and the enrichment
 * fields. `gpt-3.5-turbo` is disabled in this run's registry; `gpt-9` does not exist.
 */
let f: IngestFixture;
let autopilotKey: string;

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Capital of Japan?' }] };
const stepsWith = (...models: (string | undefined)[]) => ({
  input: 'A long document.',
  steps: models.map((model, i) => ({
    id: `s${i}`,
    template: i === 0 ? 'Summarize: {{input}}' : `Shorten: {{steps.s${i - 1}}}`,
    dependsOn: i === 0 ? [] : [`s${i - 1}`],
    ...(model ? { model } : {}),
  })),
});

beforeAll(async () => {
  f = await setupIngestFixture();
  // Before any request, so no instance has cached the registry or these policies yet.
  await f.db.prisma.modelRegistry.update({
    where: { id: 'gpt-3.5-turbo' },
    data: { enabled: false },
  });
  await upsertTenant(f.db.prisma, {
    id: 'tenant_auto',
    name: 'Autopilot',
    settings: { policy: { routing: { mode: 'autopilot', defaultModel: 'gpt-4o-mini' } } },
  });
  autopilotKey = (await createApiKey(f.db.prisma, 'tenant_auto', 'auto')).key;
});

afterAll(async () => {
  await f?.close();
});

/** A response body, read loosely: the assertions say what it must hold. */
const json = async (res: Response): Promise<any> => res.json();
const pathsOf = (body: any): string[] =>
  (body.error?.details?.issues ?? []).map((i: { path: string }) => i.path);

function submit(body: unknown, key = f.keys.a) {
  return fetch(`${f.A.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
}

function upload(bodies: unknown[], key = f.keys.a) {
  const text = bodies
    .map((body, i) =>
      JSON.stringify({
        custom_id: `row-${i + 1}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body,
      }),
    )
    .join('\n');
  return fetch(`${f.A.url}/v1/bulk`, {
    method: 'POST',
    headers: { 'content-type': 'application/jsonl', authorization: `Bearer ${key}` },
    body: text,
  });
}

describe('models run as named are checked against the registry', () => {
  it.each([
    ['an unknown step model', stepsWith('gpt-4o-mini', 'gpt-9'), ['steps.steps.1.model'], 'gpt-9'],
    [
      'a disabled step model',
      stepsWith('gpt-3.5-turbo', undefined),
      ['steps.steps.0.model'],
      'gpt-3.5-turbo',
    ],
    [
      'two bad step models',
      stepsWith('gpt-9', 'gpt-3.5-turbo', 'gpt-9'),
      ['steps.steps.0.model', 'steps.steps.1.model', 'steps.steps.2.model'],
      'gpt-9, gpt-3.5-turbo',
    ],
  ])(
    'POST /v1/jobs with %s → 400 unknown_model at its path',
    async (_case, steps, paths, names) => {
      const res = await submit({ ...chat, steps });
      const body = await json(res);
      expect([res.status, body.error?.code]).toEqual([400, 'unknown_model']);
      expect(pathsOf(body)).toEqual(paths);
      expect(body.error.message).toBe(`Unknown or disabled model: ${names}`);
    },
  );

  it('step models are checked under AUTOPILOT too (a step runs its model as named)', async () => {
    const res = await submit({
      ...chat,
      routing: { mode: 'autopilot' },
      steps: stepsWith('gpt-9'),
    });
    expect(res.status).toBe(400);
    expect(pathsOf(await json(res))).toEqual(['steps.steps.0.model']);
  });

  it('steps whose models all exist are accepted', async () => {
    const res = await submit({ ...chat, steps: stepsWith('gpt-4.1-mini', undefined) });
    expect(res.status).toBe(202);
  });

  it('POST /v1/bulk rejects the line whose step names an unknown model, with its path', async () => {
    const res = await upload([{ ...chat, steps: stepsWith('gpt-9') }, chat]);
    expect(res.status).toBe(202);
    const bulk = await json(res);
    expect(bulk.accepted).toBe(1);
    expect(bulk.jobs.map((j: { custom_id: string }) => j.custom_id)).toEqual(['row-2']);
    expect(bulk.rejected).toEqual([
      {
        line: 1,
        custom_id: 'row-1',
        code: 'unknown_model',
        message: 'Unknown or disabled model: gpt-9',
        issues: [{ path: 'body.steps.steps.0.model', message: 'not in the model registry' }],
      },
    ]);
  });
});

describe('the model is checked only when the effective routing mode is EXPLICIT', () => {
  it.each([
    ['a tenant without a policy, no routing → 400', () => f.keys.a, {}, 400],
    [
      'a tenant without a policy, autopilot asked → 202',
      () => f.keys.a,
      { routing: { mode: 'autopilot' } },
      202,
    ],
    [
      'an autopilot tenant, no routing → 202 (the model is a baseline)',
      () => autopilotKey,
      {},
      202,
    ],
    [
      'an autopilot tenant asking for explicit → 400',
      () => autopilotKey,
      { routing: { mode: 'explicit' } },
      400,
    ],
  ])('%s', async (_case, key, extra, status) => {
    const res = await submit({ ...chat, model: 'gpt-9', ...extra }, key());
    const body = await json(res);
    expect(res.status).toBe(status);
    if (status === 400) {
      expect(body.error.code).toBe('unknown_model');
      expect(pathsOf(body)).toEqual(['model']);
    }
  });

  it('bulk follows the tenant’s mode as well', async () => {
    const lines = [{ ...chat, model: 'gpt-9' }, chat];
    const explicit = await json(await upload(lines));
    expect(explicit.rejected.map((r: { code: string }) => r.code)).toEqual(['unknown_model']);
    const autopilot = await json(await upload(lines, autopilotKey));
    expect([autopilot.accepted, autopilot.rejected]).toEqual([2, []]);
  });
});

describe('enrichment fields', () => {
  const enrichment = { templateId: 'support', entities: { user: 'u-1' } };

  it('enrichment together with steps → 400 at enrichment (the steps would not see it)', async () => {
    const res = await submit({ ...chat, enrichment, steps: stepsWith(undefined) });
    const body = await json(res);
    expect([res.status, body.error.code]).toEqual([400, 'invalid_request']);
    expect(pathsOf(body)).toEqual(['enrichment']);
    expect(body.error.message).toMatch(/cannot be combined with steps/);

    const bulk = await json(await upload([{ ...chat, enrichment, steps: stepsWith(undefined) }]));
    expect(bulk.rejected[0].issues.map((i: { path: string }) => i.path)).toEqual([
      'body.enrichment',
    ]);
  });

  it('an entity type the feature store does not hold → 400 at its key', async () => {
    const res = await submit({
      ...chat,
      enrichment: { templateId: 'support', entities: { team: 't-1' } },
    });
    const body = await json(res);
    expect(res.status).toBe(400);
    expect(pathsOf(body)).toEqual(['enrichment.entities.team']);
  });

  it('user and organization entities are accepted', async () => {
    const res = await submit({
      ...chat,
      enrichment: { templateId: 'support', entities: { user: 'u-1', organization: 'acme' } },
    });
    expect(res.status).toBe(202);
  });
});
