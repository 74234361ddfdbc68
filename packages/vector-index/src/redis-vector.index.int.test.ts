import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInfraEndpoints } from '@asahi/local-infra';
import type { VectorEntry } from '@asahi/stages';
import { createRng } from './ann/rng';
import { clusteredUnitVectors } from './ann/synthetic-vectors';
import { createRedisVectorIndex, type RedisVectorIndexOptions } from './index';

/*
 * Against the real Redis. Two index instances on two ioredis connections stand for two pipeline
 * processes. Every test uses its own key prefix; afterAll deletes them.
 */

const RUN = `it-vec-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const DIMS = 8;
let seq = 0;
let redisUrl: string;
const connections: Redis[] = [];
const prefixes: string[] = [];

beforeAll(() => {
  const infra = readInfraEndpoints();
  if (!infra)
    throw new Error(
      'local infra is not running: run `npx tsx scripts/infra/cli.ts up` (or set REDIS_URL)',
    );
  redisUrl = infra.redisUrl;
});

afterAll(async () => {
  const admin = new Redis(redisUrl);
  for (const prefix of prefixes) {
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
  await Promise.all(connections.map((c) => c.quit()));
});

/** A fake clock shared by the "processes" of one test, so expiry needs no sleeping. */
function testClock(start = 1_800_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** `n` index instances ("processes") over one fresh prefix, each with its own connection. */
function processes(n: number, options: Partial<RedisVectorIndexOptions> = {}) {
  const prefix = `${RUN}-${++seq}`;
  prefixes.push(prefix);
  return Array.from({ length: n }, () => {
    const redis = new Redis(redisUrl);
    connections.push(redis);
    return createRedisVectorIndex({ redis, prefix, dimensions: DIMS, ...options });
  });
}

const vectors = clusteredUnitVectors(64, DIMS, createRng(11), { clusters: 8, spread: 0.4 }).vectors;
const vec = (i: number) => vectors.slice(i * DIMS, (i + 1) * DIMS);
const entry = (i: number, metadata = {}): VectorEntry => ({
  id: `e${i}`,
  vector: vec(i),
  metadata,
});
const ids = (ms: { id: string }[]) => ms.map((m) => m.id);

describe('createRedisVectorIndex', () => {
  it('lets another process find an entry as soon as the upsert resolved (read-your-writes)', async () => {
    const [a, b] = processes(2);
    expect(await b!.query('t1', vec(1), { topK: 1 })).toEqual([]); // b now holds a replica
    await a!.upsert('t1', [entry(1, { answer: 'cached-1' })]);
    const [match] = await b!.query('t1', vec(1), { topK: 1 });
    expect(match).toMatchObject({ id: 'e1', metadata: { answer: 'cached-1' } });
    expect(match!.score).toBeCloseTo(1, 5);
    await a!.upsert('t1', [{ ...entry(1), metadata: { answer: 'updated' } }]);
    expect((await b!.query('t1', vec(1), { topK: 1 }))[0]!.metadata).toEqual({ answer: 'updated' });
  });

  it('keeps tenant namespaces apart, in Redis keys and in results', async () => {
    const [a, b] = processes(2);
    await a!.upsert('tenant-a', [entry(1), entry(2)]);
    await a!.upsert('tenant-b', [entry(3)]);
    expect(ids(await b!.query('tenant-a', vec(3), { topK: 5 })).sort()).toEqual(['e1', 'e2']);
    expect(ids(await b!.query('tenant-b', vec(1), { topK: 5 }))).toEqual(['e3']);
    expect(await b!.query('tenant-c', vec(1), { topK: 5 })).toEqual([]);
    // A namespace that looks like a key path cannot reach another tenant's keys.
    expect(await b!.query('tenant-a}:x', vec(1), { topK: 5 })).toEqual([]);
    const admin = new Redis(redisUrl);
    connections.push(admin);
    const keys = await admin.keys(`${prefixes.at(-1)}:*`);
    expect(
      keys.some((k) => k.includes('{tenant-a}')) && keys.some((k) => k.includes('{tenant-b}')),
    ).toBe(true);
  });

  it('honours minScore and topK', async () => {
    const [a] = processes(1);
    await a!.upsert(
      't',
      [0, 1, 2, 3, 4].map((i) => entry(i)),
    );
    const all = await a!.query('t', vec(0), { topK: 5 });
    expect(all).toHaveLength(5);
    expect(all.map((m) => m.score)).toEqual([...all.map((m) => m.score)].sort((x, y) => y - x));
    const strict = await a!.query('t', vec(0), { topK: 5, minScore: 0.999 });
    expect(ids(strict)).toEqual(['e0']);
  });

  it('expires entries after their TTL, in every process', async () => {
    const clock = testClock();
    const [a, b] = processes(2, { clock, defaultTtlSeconds: 60 });
    await a!.upsert('t', [entry(1)]);
    await a!.upsert('t', [entry(2)], { ttlSeconds: 600 });
    expect(ids(await b!.query('t', vec(1), { topK: 2 })).sort()).toEqual(['e1', 'e2']);
    clock.advance(61_000);
    expect(ids(await b!.query('t', vec(1), { topK: 2 }))).toEqual(['e2']);
    expect(ids(await a!.query('t', vec(1), { topK: 2 }))).toEqual(['e2']);
    // The next write sweeps the expired entry out of Redis too.
    await a!.upsert('t', [entry(3)]);
    expect(await a!.stats('t')).toMatchObject({ entries: 2, expired: 1 });
  });

  it('bounds each namespace, evicting the least recently written first and counting evictions', async () => {
    const evictions: number[] = [];
    const [a, b] = processes(2, {
      maxEntriesPerNamespace: 3,
      onEvict: (_, n) => evictions.push(n),
    });
    await b!.query('t', vec(0), { topK: 1 });
    await a!.upsert('t', [entry(1), entry(2), entry(3)]);
    await a!.upsert('t', [entry(1)]); // rewritten: now the most recent
    await a!.upsert('t', [entry(4), entry(5)]);
    const left = ids(await b!.query('t', vec(1), { topK: 10 })).sort();
    expect(left).toEqual(['e1', 'e4', 'e5']);
    expect(evictions).toEqual([2]);
    expect(await a!.stats('t')).toMatchObject({ entries: 3, evicted: 2 });
    await a!.upsert('other', [entry(6)]);
    expect(ids(await b!.query('other', vec(6), { topK: 10 }))).toEqual(['e6']);
  });

  it('deletes entries for every process', async () => {
    const [a, b] = processes(2);
    await a!.upsert('t', [entry(1), entry(2)]);
    expect(await b!.query('t', vec(1), { topK: 1 })).toHaveLength(1);
    expect(await a!.query('t', vec(1), { topK: 1 })).toHaveLength(1);
    await a!.delete('t', ['e1', 'missing']);
    expect(ids(await b!.query('t', vec(1), { topK: 5 }))).toEqual(['e2']);
    expect(ids(await a!.query('t', vec(1), { topK: 5 }))).toEqual(['e2']);
  });

  it('loads existing entries from Redis in a fresh process (restart)', async () => {
    const [a, b, fresh] = processes(3);
    const many = Array.from({ length: 40 }, (_, i) => entry(i, { i }));
    await a!.upsert('t', many);
    await b!.query('t', vec(0), { topK: 1 });
    await a!.delete('t', ['e7']);
    const found = await fresh!.query('t', vec(5), { topK: 1 });
    expect(found[0]).toMatchObject({ id: 'e5', metadata: { i: 5 } });
    expect((await fresh!.stats('t')).replica?.entries).toBe(39);
    expect(ids(await fresh!.query('t', vec(7), { topK: 40 }))).not.toContain('e7');
  });

  it('reloads a replica that fell behind the tombstone horizon', async () => {
    const [a, b] = processes(2, { tombstoneLimit: 2 });
    await a!.upsert(
      't',
      [1, 2, 3, 4, 5].map((i) => entry(i)),
    );
    expect(await b!.query('t', vec(1), { topK: 10 })).toHaveLength(5);
    await a!.delete('t', ['e1', 'e2', 'e3', 'e4']); // 4 removals, only 2 tombstones kept
    expect(ids(await b!.query('t', vec(1), { topK: 10 }))).toEqual(['e5']);
  });

  it('catches up across several sync pages', async () => {
    const [a, b] = processes(2, { syncPageSize: 3 });
    await b!.query('t', vec(0), { topK: 1 });
    await a!.upsert(
      't',
      Array.from({ length: 20 }, (_, i) => entry(i)),
    );
    await a!.delete('t', ['e0', 'e1', 'e2', 'e3']);
    expect(await b!.query('t', vec(9), { topK: 50 })).toHaveLength(16);
  });

  it('indexes a large namespace approximately and still finds exact duplicates', async () => {
    const dims = 32;
    const [a, b] = processes(2, { dimensions: dims, ann: { minEntries: 500 } });
    const { vectors: big } = clusteredUnitVectors(1500, dims, createRng(3), {
      clusters: 30,
      spread: 0.6,
    });
    const row = (i: number) => big.slice(i * dims, (i + 1) * dims);
    await a!.upsert(
      't',
      Array.from({ length: 1500 }, (_, i) => ({ id: `v${i}`, vector: row(i), metadata: {} })),
    );
    await b!.sync('t'); // waits for the background build, so the queries below use the index
    for (const i of [0, 700, 1499])
      expect((await b!.query('t', row(i), { topK: 1 }))[0]!.id).toBe(`v${i}`);
    expect((await b!.stats('t')).replica).toMatchObject({ entries: 1500, indexed: true });
  });

  it('answers a cold replica by exact scan while its index builds in the background', async () => {
    const dims = 64;
    const n = 20_000;
    const [a, b] = processes(2, { dimensions: dims, ann: { minEntries: 1000 } });
    const { vectors: big } = clusteredUnitVectors(n, dims, createRng(8), {
      clusters: 100,
      spread: 0.6,
    });
    const row = (i: number) => big.slice(i * dims, (i + 1) * dims);
    await a!.upsert(
      't',
      Array.from({ length: n }, (_, i) => ({ id: `v${i}`, vector: row(i), metadata: { i } })),
    );
    let warmed = false;
    const warming = b!.sync('t').then(() => void (warmed = true));
    // Before the fix the build ran inside the load, so no caller ever saw it running.
    await until(async () => (await b!.stats('t')).replica?.building === true);
    const [match] = await b!.query('t', row(777), { topK: 1 });
    expect(match).toMatchObject({ id: 'v777', metadata: { i: 777 } });
    expect(warmed).toBe(false); // answered while the index was still being built
    await warming;
    expect((await b!.stats('t')).replica).toMatchObject({
      entries: n,
      indexed: true,
      building: false,
    });
    expect((await b!.query('t', row(4321), { topK: 1 }))[0]!.id).toBe('v4321');
  }, 60_000);

  it('drops the least recently queried replicas beyond the byte budget, reloading on demand', async () => {
    const [writer, probe] = processes(2);
    const stack = prefixes.at(-1)!;
    const group = (ns: string, from: number) =>
      writer!.upsert(
        ns,
        Array.from({ length: 20 }, (_, i) => entry(from + i)),
      );
    await Promise.all([group('a', 0), group('b', 20), group('c', 40)]);
    await probe!.query('a', vec(0), { topK: 1 });
    const one = (await probe!.stats('a')).replica!.approxBytes;
    const redis = new Redis(redisUrl);
    connections.push(redis);
    // Room for two of the three equal namespaces.
    const budgeted = createRedisVectorIndex({
      redis,
      prefix: stack,
      dimensions: DIMS,
      maxReplicaBytes: Math.floor(one * 2.5),
    });
    const held = async () => {
      const out: string[] = [];
      for (const ns of ['a', 'b', 'c']) if ((await budgeted.stats(ns)).replica) out.push(ns);
      return out;
    };
    await budgeted.query('a', vec(0), { topK: 1 });
    await budgeted.query('b', vec(20), { topK: 1 });
    expect(await held()).toEqual(['a', 'b']);
    await budgeted.query('c', vec(40), { topK: 1 });
    expect(await held()).toEqual(['b', 'c']);
    // A dropped namespace comes back from Redis, with what was written while it was away.
    await writer!.upsert('a', [entry(63)]);
    expect(ids(await budgeted.query('a', vec(63), { topK: 1 }))).toEqual(['e63']);
    expect((await budgeted.stats('a')).replica?.entries).toBe(21);
    expect(await held()).toEqual(['a', 'c']);
  });

  it('rejects vectors of the wrong dimension', async () => {
    const [a] = processes(1);
    await expect(a!.query('t', new Float32Array(3), { topK: 1 })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(
      a!.upsert('t', [{ id: 'x', vector: new Float32Array(3), metadata: {} }]),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });

  it('applies its own writes locally and serves concurrent queries consistently', async () => {
    const [a, b] = processes(2);
    await a!.query('t', vec(0), { topK: 1 });
    await Promise.all([a!.upsert('t', [entry(1)]), b!.upsert('t', [entry(2)])]);
    const results = await Promise.all([1, 2, 1, 2].map((i) => a!.query('t', vec(i), { topK: 1 })));
    expect(results.map((r) => r[0]?.id)).toEqual(['e1', 'e2', 'e1', 'e2']);
  });
});

/** Polls `condition` (each poll a Redis round trip) up to `polls` times. */
async function until(condition: () => Promise<boolean>, polls = 2000): Promise<void> {
  for (let i = 0; i < polls; i++) if (await condition()) return;
  throw new Error('condition never held');
}
