import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, namesFor, requestMessageSchema } from '@asahi/contracts';
import {
  createTestDatabase,
  deleteFeature,
  putFeature,
  putPromptTemplate,
  type PrismaClient,
  type TestDatabase,
} from '@asahi/db';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createEnrichmentMetrics, createRegistry } from '@asahi/metrics';
import { createRedisConnection, type Redis } from '@asahi/queue';
import {
  enrichRequest,
  featureCacheKey,
  featureGenerationKey,
  templateCacheKey,
  templateGenerationKey,
} from '@asahi/stages';
import { createFeatureStore, type FeatureStore } from './feature-store';

/** The feature store against real Redis and a fresh real Postgres, under a prefix of its own. */
const prefix = namesFor(`it${randomBytes(4).toString('hex')}`).queuePrefix;
let redis: Redis;
let t: TestDatabase;
let prisma: PrismaClient;
let seq = 0;
const newId = () => `e-${++seq}-${randomBytes(3).toString('hex')}`;

const store = (options: Partial<Parameters<typeof createFeatureStore>[0]> = {}): FeatureStore =>
  createFeatureStore({ redis, prisma, prefix, ttlSeconds: 60, negativeTtlSeconds: 5, ...options });

/** What the ingest API does after a committed write: bump the generation, drop the entry. */
const invalidate = (tenantId: string, type: string, id: string) =>
  redis
    .multi()
    .incr(featureGenerationKey(prefix, tenantId, type, id))
    .del(featureCacheKey(prefix, tenantId, type, id))
    .exec();

async function writeAsIngestDoes(
  tenantId: string,
  entityType: string,
  entityId: string,
  values: Record<string, string>,
) {
  await putFeature(prisma, { tenantId, entityType, entityId, values });
  await invalidate(tenantId, entityType, entityId);
}

/** A promise the test resolves when it chooses: how the interleavings below are ordered. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The real client, each row read of `table` passing through `after` before it is returned. */
function withReads(
  client: PrismaClient,
  after: (row: unknown) => Promise<unknown>,
  table: 'feature' | 'promptTemplate' = 'feature',
) {
  return new Proxy(client, {
    get: (target, prop) =>
      prop === table
        ? new Proxy(target[table] as object, {
            get: (model, name) => {
              const real = Reflect.get(model, name) as (...a: unknown[]) => Promise<unknown>;
              return name === 'findUnique'
                ? async (...args: unknown[]) => after(await real.apply(model, args))
                : real;
            },
          })
        : Reflect.get(target, prop),
  });
}

beforeAll(async () => {
  const infra = readInfraEndpoints();
  if (!infra)
    throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up` first');
  redis = createRedisConnection(infra.redisUrl, 'it-feature-store');
  t = await createTestDatabase(infra.databaseUrl);
  prisma = t.db.prisma;
});

afterAll(async () => {
  if (redis) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  }
  await t?.drop();
});

describe('feature store: Redis read-through over Postgres (real servers)', () => {
  it('reads Postgres on a miss, fills Redis with a TTL, and serves the next read from Redis', async () => {
    const id = newId();
    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'user',
      entityId: id,
      values: { name: 'Ada' },
    });
    const s = store();

    expect(await s.getFeatures('ta', 'user', id)).toEqual({ name: 'Ada' });
    const key = featureCacheKey(prefix, 'ta', 'user', id);
    expect(JSON.parse((await redis.get(key))!)).toEqual({ v: { name: 'Ada' } });
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);

    // Changed in Postgres without invalidation: the cached value is what is served.
    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'user',
      entityId: id,
      values: { name: 'Bob' },
    });
    expect(await s.getFeatures('ta', 'user', id)).toEqual({ name: 'Ada' });
    expect(s.stats().feature).toEqual({ hits: 1, misses: 1, errors: 0 });

    // After the writer deletes the key, the next read sees the new value.
    await invalidate('ta', 'user', id);
    expect(await s.getFeatures('ta', 'user', id)).toEqual({ name: 'Bob' });
    expect(s.stats().feature).toEqual({ hits: 1, misses: 2, errors: 0 });
  });

  it('remembers an unknown entity for the short negative TTL, until a write invalidates it', async () => {
    const id = newId();
    const s = store();
    expect(await s.getFeatures('ta', 'user', id)).toBeNull();
    const key = featureCacheKey(prefix, 'ta', 'user', id);
    expect(JSON.parse((await redis.get(key))!)).toEqual({ v: null });
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);

    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'user',
      entityId: id,
      values: { plan: 'pro' },
    });
    expect(await s.getFeatures('ta', 'user', id)).toBeNull(); // negative entry still served
    await invalidate('ta', 'user', id);
    expect(await s.getFeatures('ta', 'user', id)).toEqual({ plan: 'pro' });
  });

  it('keeps tenants apart: tenant B never gets tenant A’s cached or stored values', async () => {
    const id = newId();
    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'organization',
      entityId: id,
      values: { name: 'A corp' },
    });
    const s = store();
    expect(await s.getFeatures('ta', 'organization', id)).toEqual({ name: 'A corp' });
    expect(await s.getFeatures('tb', 'organization', id)).toBeNull();

    await putFeature(prisma, {
      tenantId: 'tb',
      entityType: 'organization',
      entityId: id,
      values: { name: 'B corp' },
    });
    await invalidate('tb', 'organization', id);
    expect(await s.getFeatures('tb', 'organization', id)).toEqual({ name: 'B corp' });
    expect(await s.getFeatures('ta', 'organization', id)).toEqual({ name: 'A corp' });
  });

  it('caches templates the same way, per tenant', async () => {
    const id = newId();
    await putPromptTemplate(prisma, {
      tenantId: 'ta',
      id,
      template: 'Hi {{user.name}}',
      features: ['user.name'],
    });
    const s = store();
    expect(await s.getTemplate('ta', id)).toEqual({
      template: 'Hi {{user.name}}',
      features: ['user.name'],
    });
    expect(await s.getTemplate('tb', id)).toBeNull();
    expect(await s.getTemplate('ta', id)).toEqual({
      template: 'Hi {{user.name}}',
      features: ['user.name'],
    });
    expect(s.stats().template).toEqual({ hits: 1, misses: 2, errors: 0 });
    expect(JSON.parse((await redis.get(templateCacheKey(prefix, 'tb', id)))!)).toEqual({ v: null });
  });

  it('treats a corrupt entry as a miss and overwrites it', async () => {
    const id = newId();
    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'user',
      entityId: id,
      values: { n: 1 },
    });
    const key = featureCacheKey(prefix, 'ta', 'user', id);
    await redis.set(key, '{"v":{"n":{"nested":true}}}', 'EX', 60);
    const s = store();
    expect(await s.getFeatures('ta', 'user', id)).toEqual({ n: 1 });
    expect(JSON.parse((await redis.get(key))!)).toEqual({ v: { n: 1 } });
  });

  it('shares one Postgres read among concurrent misses of one key', async () => {
    const id = newId();
    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'user',
      entityId: id,
      values: { n: 2 },
    });
    let reads = 0;
    // The real client, with feature reads counted.
    const counted = new Proxy(prisma, {
      get: (target, prop) =>
        prop === 'feature'
          ? new Proxy(target.feature, {
              get: (model, name) =>
                name === 'findUnique'
                  ? (...args: Parameters<typeof model.findUnique>) => (
                      reads++,
                      model.findUnique(...args)
                    )
                  : Reflect.get(model, name),
            })
          : Reflect.get(target, prop),
    });
    const s = store({ prisma: counted });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => s.getFeatures('ta', 'user', id)),
    );
    expect(answers).toEqual(Array.from({ length: 8 }, () => ({ n: 2 })));
    expect(reads).toBe(1);
  });

  it('a read that began before a write cannot put the old value back, and a read after the write does not join it', async () => {
    const id = newId();
    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'user',
      entityId: id,
      values: { name: 'Ada' },
    });
    // The first Postgres read of the entity answers (with the value before the write), then
    // holds its answer until the test lets it go: the write happens in between.
    const first = gate();
    const held = gate();
    let reads = 0;
    const gated = withReads(prisma, async (row) => {
      if (++reads === 1) {
        first.open();
        await held.promise;
      }
      return row;
    });
    const s = store({ prisma: gated });

    const slow = s.getFeatures('ta', 'user', id);
    await first.promise;
    await writeAsIngestDoes('ta', 'user', id, { name: 'Bob' });
    // Started after the write: it must not share the pre-write lookup still in flight.
    const later = s.getFeatures('ta', 'user', id);
    held.open();
    expect(await later).toEqual({ name: 'Bob' });
    expect(await slow).toEqual({ name: 'Ada' }); // it began before the write: either is fair

    const key = featureCacheKey(prefix, 'ta', 'user', id);
    expect(JSON.parse((await redis.get(key)) ?? 'null')).not.toEqual({ v: { name: 'Ada' } });
    expect(await s.getFeatures('ta', 'user', id)).toEqual({ name: 'Bob' });
    expect(await store().getFeatures('ta', 'user', id)).toEqual({ name: 'Bob' });
  });

  it('a read that began before a DELETE cannot put the deleted values back', async () => {
    const id = newId();
    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'user',
      entityId: id,
      values: { plan: 'pro' },
    });
    const first = gate();
    const held = gate();
    const gated = withReads(prisma, async (row) => {
      first.open();
      await held.promise;
      return row;
    });
    const slow = store({ prisma: gated }).getFeatures('ta', 'user', id);
    await first.promise;
    await deleteFeature(prisma, 'ta', 'user', id);
    await invalidate('ta', 'user', id);
    held.open();
    expect(await slow).toEqual({ plan: 'pro' });
    expect(await store().getFeatures('ta', 'user', id)).toBeNull();
  });

  it('a template read that began before a PUT cannot put the old template back', async () => {
    const id = newId();
    const put = (template: string) =>
      putPromptTemplate(prisma, { tenantId: 'ta', id, template, features: [] });
    await put('old');
    const first = gate();
    const held = gate();
    const gated = withReads(
      prisma,
      async (row) => {
        first.open();
        await held.promise;
        return row;
      },
      'promptTemplate',
    );
    const slow = store({ prisma: gated }).getTemplate('ta', id);
    await first.promise;
    await put('new');
    await redis
      .multi()
      .incr(templateGenerationKey(prefix, 'ta', id))
      .del(templateCacheKey(prefix, 'ta', id))
      .exec();
    held.open();
    expect((await slow)?.template).toBe('old');
    expect((await store().getTemplate('ta', id))?.template).toBe('new');
  });

  it('counts hits and misses into the enrichment metrics', async () => {
    const registry = createRegistry('pipeline-test');
    const metrics = createEnrichmentMetrics(registry);
    const s = store({ metrics });
    const id = newId();
    await s.getFeatures('ta', 'user', id);
    await s.getFeatures('ta', 'user', id);
    await s.getTemplate('ta', newId());
    const values = (await metrics.cacheLookups.get()).values.map((v) => [
      v.labels.kind,
      v.labels.outcome,
      v.value,
    ]);
    expect(values.sort()).toEqual([
      ['feature', 'hit', 1],
      ['feature', 'miss', 1],
      ['template', 'miss', 1],
    ]);
  });

  it('feeds enrichRequest end to end: a request of tenant ta is enriched with ta’s features only', async () => {
    const user = newId();
    const templateId = newId();
    await putPromptTemplate(prisma, {
      tenantId: 'ta',
      id: templateId,
      template: 'You are helping {{user.name}} on the {{user.plan}} plan.',
      features: ['user.name', 'user.plan'],
    });
    await putFeature(prisma, {
      tenantId: 'ta',
      entityType: 'user',
      entityId: user,
      values: { name: 'Ada', plan: 'pro' },
    });
    await putFeature(prisma, {
      tenantId: 'tb',
      entityType: 'user',
      entityId: user,
      values: { name: 'Eve', plan: 'x' },
    });
    const s = store();
    const base = requestMessageSchema.parse(fixtures.request());
    const request = {
      ...base,
      tenantId: 'ta',
      enrichment: { templateId, entities: { user }, variables: {} },
    };
    const ports = { templates: s, features: s, clock: { now: () => Date.now() } };

    const outcome = await enrichRequest(request, ports, { budgetMs: 2_000 });
    expect(outcome.status).toBe('applied');
    expect(outcome.request.body.messages[0]!.content).toBe(
      `You are helping Ada on the pro plan.\n\n${base.body.messages[0]!.content}`,
    );
    const other = await enrichRequest({ ...request, tenantId: 'tb' }, ports, { budgetMs: 2_000 });
    expect(other.status).toBe('missing_template');
  });
});
