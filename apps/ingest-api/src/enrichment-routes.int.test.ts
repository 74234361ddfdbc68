import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@asahi/db';
import { createRedisConnection, type Redis } from '@asahi/queue';
import {
  featureCacheKey,
  featureGenerationKey,
  templateCacheKey,
  templateGenerationKey,
} from '@asahi/stages';
import { setupIngestFixture, type IngestFixture } from './ingest-api.fixture';

/**
 * /v1/features and /v1/templates on the real runtime (Postgres, Redis, Kafka), including the
 * invalidation of the pipeline's Redis cache after each write.
 */
let f: IngestFixture;
let redis: Redis;
let prefix: string;
const keys = { writerA: '', writerB: '', writerOnly: '' };
const uid = () => `u-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  f = await setupIngestFixture();
  prefix = f.A.runtime.names.queuePrefix;
  redis = createRedisConnection(f.infra.redisUrl, 'ingest-enrichment-test');
  keys.writerA = (
    await createApiKey(f.db.prisma, 'tenant_a', 'sync', ['enrichment', 'reader'])
  ).key;
  keys.writerB = (
    await createApiKey(f.db.prisma, 'tenant_b', 'sync', ['enrichment', 'reader'])
  ).key;
  keys.writerOnly = (await createApiKey(f.db.prisma, 'tenant_a', 'writer', ['enrichment'])).key;
});

afterAll(async () => {
  if (redis) {
    const left = await redis.keys(`${prefix}:enrich:*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
  }
  await f?.close();
});

/** A response body, read loosely: the assertions say what it must hold. */
const json = async (res: Response): Promise<any> => res.json();

function call(method: string, path: string, key: string, body?: unknown) {
  return fetch(`${f.A.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

describe('features API', () => {
  it('PUT stores and returns the record, GET reads it back, DELETE removes it', async () => {
    const id = uid();
    const values = { name: 'Ada', plan: 'pro', seats: 3, trial: false, note: null };
    const put = await call('PUT', `/v1/features/user/${id}`, keys.writerA, { values });
    expect(put.status).toBe(200);
    const stored = await json(put);
    expect(stored).toEqual({
      object: 'feature',
      entityType: 'user',
      entityId: id,
      values,
      updatedAt: expect.any(String),
    });
    const get = await call('GET', `/v1/features/user/${id}`, f.keys.a);
    expect([get.status, await json(get)]).toEqual([200, stored]);

    const replaced = await call('PUT', `/v1/features/user/${id}`, keys.writerA, {
      values: { plan: 'team' },
    });
    expect((await json(replaced)).values).toEqual({ plan: 'team' });

    const del = await call('DELETE', `/v1/features/user/${id}`, keys.writerA);
    expect(del.status).toBe(204);
    expect((await call('GET', `/v1/features/user/${id}`, f.keys.a)).status).toBe(404);
    expect((await call('DELETE', `/v1/features/user/${id}`, keys.writerA)).status).toBe(404);
  });

  it('is tenant-scoped: tenant B can neither read nor delete tenant A’s entity', async () => {
    const id = uid();
    await call('PUT', `/v1/features/organization/${id}`, keys.writerA, {
      values: { name: 'A corp' },
    });
    const asB = await call('GET', `/v1/features/organization/${id}`, f.keys.b);
    expect(asB.status).toBe(404);
    expect((await json(asB)).error.code).toBe('not_found');
    expect((await call('DELETE', `/v1/features/organization/${id}`, keys.writerB)).status).toBe(
      404,
    );

    await call('PUT', `/v1/features/organization/${id}`, keys.writerB, {
      values: { name: 'B corp' },
    });
    const a = await json(await call('GET', `/v1/features/organization/${id}`, f.keys.a));
    const b = await json(await call('GET', `/v1/features/organization/${id}`, f.keys.b));
    expect([a.values.name, b.values.name]).toEqual(['A corp', 'B corp']);
  });

  it.each([
    ['a submitter/reader key', () => f.keys.a, 403],
    ['an enrichment key', () => keys.writerA, 200],
    ['an admin key', () => f.keys.admin, 200],
  ])('PUT with %s → %i', async (_who, key, status) => {
    const res = await call('PUT', `/v1/features/user/${uid()}`, key(), { values: { a: 1 } });
    expect(res.status).toBe(status);
    if (status === 403) expect((await json(res)).error.code).toBe('forbidden');
  });

  it('DELETE without the enrichment role → 403 and nothing deleted; GET without reader → 403', async () => {
    const id = uid();
    await call('PUT', `/v1/features/user/${id}`, keys.writerA, { values: { a: 1 } });
    const del = await call('DELETE', `/v1/features/user/${id}`, f.keys.a);
    expect([del.status, (await json(del)).error.code]).toEqual([403, 'forbidden']);
    const get = await call('GET', `/v1/features/user/${id}`, keys.writerOnly);
    expect([get.status, (await json(get)).error.code]).toEqual([403, 'forbidden']);
    expect((await call('GET', `/v1/features/user/${id}`, f.keys.a)).status).toBe(200);
    expect((await call('DELETE', `/v1/features/user/${id}`, keys.writerOnly)).status).toBe(204);
  });

  it.each([
    ['team', 'an entity type the product does not store'],
    ['users', 'a near miss of user'],
  ])('400 at entityType for /v1/features/%s (%s), on PUT, GET and DELETE', async (type) => {
    for (const [method, key, body] of [
      ['PUT', keys.writerA, { values: { a: 1 } }],
      ['GET', f.keys.a, undefined],
      ['DELETE', keys.writerA, undefined],
    ] as const) {
      const res = await call(method, `/v1/features/${type}/u-1`, key, body);
      const { error } = await json(res);
      expect([method, res.status, error.details.issues]).toEqual([
        method,
        400,
        [{ path: 'entityType', message: 'must be one of user, organization' }],
      ]);
    }
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'a value keyed %s → 400 naming the key, and nothing stored',
    async (reserved) => {
      const id = uid();
      const res = await call(
        'PUT',
        `/v1/features/user/${id}`,
        keys.writerA,
        `{"values":{"${reserved}":"x","plan":"pro"}}`,
      );
      const { error } = await json(res);
      expect([res.status, error.code]).toEqual([400, 'invalid_request']);
      expect(error.message).toBe(
        `Invalid request body: values.${reserved}: "${reserved}" is a reserved key`,
      );
      expect((await call('GET', `/v1/features/user/${id}`, f.keys.a)).status).toBe(404);
    },
  );

  it('malformed JSON is still a 400 invalid_request', async () => {
    const res = await call('PUT', `/v1/features/user/${uid()}`, keys.writerA, '{"values":');
    const { error } = await json(res);
    expect([res.status, error.code]).toEqual([400, 'invalid_request']);
    expect(error.message).toMatch(/^Malformed JSON body/);
  });

  it.each([
    ['an entity type that is not a token', '/v1/features/User/u-1', { values: {} }, 'entityType'],
    ['an id with a space', '/v1/features/user/a%20b', { values: {} }, 'id'],
    ['an object value', '/v1/features/user/u-1', { values: { a: { b: 1 } } }, 'values.a'],
    [
      'a key that is not an identifier',
      '/v1/features/user/u-1',
      { values: { 'a.b': 1 } },
      'values.a.b',
    ],
    ['an unknown field', '/v1/features/user/u-1', { values: {}, ttl: 3 }, '(root)'],
  ])('400 for %s, with the issue path', async (_case, path, body, issuePath) => {
    const res = await call('PUT', path, keys.writerA, body);
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request' });
    expect(error.details.issues.map((i: { path: string }) => i.path)).toContain(issuePath);
  });

  it('413 for a body over the route limit', async () => {
    const body = {
      values: Object.fromEntries(
        Array.from({ length: 200 }, (_, i) => [`k${i}`, 'x'.repeat(4_000)]),
      ),
    };
    const res = await call('PUT', `/v1/features/user/${uid()}`, keys.writerA, body);
    expect(res.status).toBe(413);
  });

  it('after PUT and DELETE bumps the entry’s generation and deletes the pipeline’s cached entry, only the writing tenant’s', async () => {
    const id = uid();
    const keyA = featureCacheKey(prefix, 'tenant_a', 'user', id);
    const keyB = featureCacheKey(prefix, 'tenant_b', 'user', id);
    const genA = featureGenerationKey(prefix, 'tenant_a', 'user', id);
    const genB = featureGenerationKey(prefix, 'tenant_b', 'user', id);
    await redis.set(keyA, '{"v":{"name":"stale"}}', 'EX', 60);
    await redis.set(keyB, '{"v":{"name":"B cached"}}', 'EX', 60);

    expect(
      (await call('PUT', `/v1/features/user/${id}`, keys.writerA, { values: { name: 'fresh' } }))
        .status,
    ).toBe(200);
    expect(await redis.exists(keyA)).toBe(0);
    expect(await redis.get(genA)).toBe('1');
    expect(await redis.ttl(genA)).toBeGreaterThan(0);
    expect(await redis.get(keyB)).toBe('{"v":{"name":"B cached"}}');
    expect(await redis.exists(genB)).toBe(0);

    await redis.set(keyA, '{"v":{"name":"fresh"}}', 'EX', 60);
    expect((await call('DELETE', `/v1/features/user/${id}`, keys.writerA)).status).toBe(204);
    expect(await redis.exists(keyA)).toBe(0);
    expect(await redis.get(genA)).toBe('2');
  });
});

describe('templates API', () => {
  const example = {
    template:
      'You are helping {{user.name}} of {{organization.name}} on the {{user.plan}} plan. {{input}}',
    features: ['user.name', 'organization.name', 'user.plan'],
  };

  it('PUT/GET/DELETE a template, tenant-scoped, invalidating the cached copy', async () => {
    const id = `greet-${uid()}`;
    const cached = templateCacheKey(prefix, 'tenant_a', id);
    const generation = templateGenerationKey(prefix, 'tenant_a', id);
    await redis.set(cached, '{"v":null}', 'EX', 60);

    const put = await call('PUT', `/v1/templates/${id}`, keys.writerA, example);
    expect(put.status).toBe(200);
    const stored = await json(put);
    expect(stored).toEqual({
      object: 'prompt_template',
      id,
      ...example,
      updatedAt: expect.any(String),
    });
    expect(await redis.exists(cached)).toBe(0);
    expect(await redis.get(generation)).toBe('1');

    expect(await json(await call('GET', `/v1/templates/${id}`, f.keys.a))).toEqual(stored);
    expect((await call('GET', `/v1/templates/${id}`, f.keys.b)).status).toBe(404);
    expect((await call('DELETE', `/v1/templates/${id}`, keys.writerB)).status).toBe(404);
    expect((await call('PUT', `/v1/templates/${id}`, f.keys.a, example)).status).toBe(403);

    expect((await call('DELETE', `/v1/templates/${id}`, keys.writerA)).status).toBe(204);
    expect((await call('GET', `/v1/templates/${id}`, f.keys.a)).status).toBe(404);
  });

  it.each([
    [
      'an undeclared feature placeholder',
      { template: 'Hi {{user.name}} of {{organization.name}}', features: ['user.name'] },
      'template: {{organization.name}} is not declared in features',
    ],
    [
      'a malformed feature declaration',
      { template: 'Hi', features: ['username'] },
      'features.0: "username" is not <entityType>.<key>',
    ],
    [
      'a malformed placeholder',
      { template: 'Hi {{user name}}', features: [] },
      'template: malformed placeholder {{user name}}',
    ],
    [
      'a feature of an entity type the product does not store',
      { template: 'Hi {{team.name}}', features: ['team.name'] },
      'features.0: "team.name": entity type must be one of user, organization',
    ],
  ])('400 for %s, with a precise message', async (_case, body, message) => {
    const res = await call('PUT', `/v1/templates/t-${uid()}`, keys.writerA, body);
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toBe(`Invalid request body: ${message}`);
  });
});
