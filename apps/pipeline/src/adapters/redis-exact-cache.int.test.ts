import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namesFor } from '@asahi/contracts';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createRedisConnection, type Redis } from '@asahi/queue';
import type { CachedAnswer, ExactCache } from '@asahi/stages';
import { createRedisExactCache } from './redis-exact-cache';

/** The exact cache against a real Redis, under a prefix no other run shares. */
const names = namesFor(`it${randomBytes(4).toString('hex')}`);
const prefix = names.queuePrefix;
let redis: Redis;
let cache: ExactCache;
let seq = 0;

/** A fresh cache key per test (the real ones are sha256 hex, like this). */
const newKey = () => `${(++seq).toString(16).padStart(4, '0')}${randomBytes(30).toString('hex')}`;
const keyOf = (tenantId: string, key: string) => `${prefix}:cache:exact:{${tenantId}}:${key}`;

function answer(content: string): CachedAnswer {
  return {
    output: { id: 'chatcmpl-it', model: 'gpt-4o-mini', content, finishReason: 'stop' },
    usage: { promptTokens: 24, completionTokens: 2, totalTokens: 26 },
    model: 'gpt-4o-mini',
    provider: 'openai',
    costUsd: 0.0000048,
    cachedAt: new Date().toISOString(),
  };
}

async function keysUnderPrefix(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

beforeAll(() => {
  const infra = readInfraEndpoints();
  if (!infra)
    throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up` first');
  redis = createRedisConnection(infra.redisUrl, 'it-exact-cache');
  cache = createRedisExactCache(redis, {
    prefix,
    maxEntriesPerTenant: 1000,
    maxEntryBytes: 65_536,
  });
});

afterAll(async () => {
  if (!redis) return;
  const keys = await keysUnderPrefix();
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('redis exact cache (real Redis)', () => {
  it('keeps tenants apart: the same key set for tenant A is a miss for tenant B', async () => {
    const key = newKey();
    const stored = answer('Tokyo.');
    await cache.set('tenant_a', key, stored, 60);

    expect(await cache.get('tenant_b', key)).toBeNull();
    expect(await cache.get('tenant_a', key)).toEqual(stored);

    // B writing the same key does not overwrite A's entry either.
    await cache.set('tenant_b', key, answer('Kyoto.'), 60);
    expect((await cache.get('tenant_a', key))?.output.content).toBe('Tokyo.');
    expect((await cache.get('tenant_b', key))?.output.content).toBe('Kyoto.');
  });

  it('lays keys out as <prefix>:cache:exact:{<tenant>}:<key>', async () => {
    const key = newKey();
    await cache.set('tenant_layout', key, answer('x'), 60);
    const mine = (await keysUnderPrefix()).filter((k) => k.endsWith(key));
    expect(mine).toEqual([`${prefix}:cache:exact:{tenant_layout}:${key}`]);
    expect(JSON.parse((await redis.get(mine[0]!))!)).toEqual(await cache.get('tenant_layout', key));
  });

  it('applies the TTL: 0 < PTTL ≤ ttl', async () => {
    const key = newKey();
    await cache.set('tenant_ttl', key, answer('x'), 30);
    const pttl = await redis.pttl(keyOf('tenant_ttl', key));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30_000);

    // A later write refreshes the TTL to the new value rather than keeping the old one.
    await cache.set('tenant_ttl', key, answer('y'), 5);
    const refreshed = await redis.pttl(keyOf('tenant_ttl', key));
    expect(refreshed).toBeGreaterThan(0);
    expect(refreshed).toBeLessThanOrEqual(5_000);
  });

  it('reads a corrupt entry as a miss, and the next answer overwrites it', async () => {
    const key = newKey();
    await redis.set(keyOf('tenant_c', key), '{"output":{"id":"chatcmpl-', 'EX', 60);
    expect(await cache.get('tenant_c', key)).toBeNull();

    const stored = answer('Tokyo.');
    await cache.set('tenant_c', key, stored, 60);
    expect(await cache.get('tenant_c', key)).toEqual(stored);
  });

  it.each([
    ['a JSON string', '"Tokyo."'],
    ['an empty object', '{}'],
    ['an answer without usage', JSON.stringify({ ...answer('x'), usage: undefined })],
    ['an answer with a non-numeric cost', JSON.stringify({ ...answer('x'), costUsd: 'free' })],
  ])('reads well-formed JSON that is not a cached answer (%s) as a miss', async (_name, raw) => {
    const key = newKey();
    await redis.set(keyOf('tenant_shape', key), raw, 'EX', 60);
    expect(await cache.get('tenant_shape', key)).toBeNull();
  });

  it('bounds each tenant: beyond the limit the least recently used entries are evicted', async () => {
    let evicted = 0;
    const small = createRedisExactCache(redis, {
      prefix,
      maxEntriesPerTenant: 3,
      maxEntryBytes: 65_536,
      onEvict: (n) => (evicted += n),
    });
    const [k1, k2, k3, k4] = [newKey(), newKey(), newKey(), newKey()];
    await small.set('tenant_lru', k1!, answer('1'), 60);
    await small.set('tenant_lru', k2!, answer('2'), 60);
    await small.set('tenant_lru', k3!, answer('3'), 60);
    await new Promise((r) => setTimeout(r, 5));
    expect(await small.get('tenant_lru', k1!)).not.toBeNull(); // k1 is now the most recent
    await small.set('tenant_lru', k4!, answer('4'), 60);

    expect(evicted).toBe(1);
    expect(await small.get('tenant_lru', k2!)).toBeNull(); // the least recently used went
    expect(await redis.exists(keyOf('tenant_lru', k2!))).toBe(0);
    for (const k of [k1!, k3!, k4!]) expect(await small.get('tenant_lru', k)).not.toBeNull();
    expect(await redis.zcard(`${prefix}:cache:exact:{tenant_lru}#lru`)).toBe(3);
    // Another tenant's entries neither count against nor suffer from this tenant's bound.
    await small.set('tenant_other', k2!, answer('x'), 60);
    expect(await small.get('tenant_lru', k1!)).not.toBeNull();
    expect(evicted).toBe(1);
  });

  it('does not cache answers larger than maxEntryBytes', async () => {
    const tiny = createRedisExactCache(redis, {
      prefix,
      maxEntriesPerTenant: 10,
      maxEntryBytes: 300,
    });
    const key = newKey();
    await tiny.set('tenant_big', key, answer('x'.repeat(400)), 60);
    expect(await tiny.get('tenant_big', key)).toBeNull();
    await tiny.set('tenant_big', key, answer('ok'), 60);
    expect(await tiny.get('tenant_big', key)).not.toBeNull();
  });

  it('a key never written is a miss', async () => {
    expect(await cache.get('tenant_a', newKey())).toBeNull();
  });
});
