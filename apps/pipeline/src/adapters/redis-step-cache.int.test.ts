import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namesFor } from '@asahi/contracts';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createRedisConnection, type Redis } from '@asahi/queue';
import type { CachedAnswer } from '@asahi/stages';
import { createRedisStepCache, createRedisStepLock } from './redis-step-cache';

/** The step cache and step lock against a real Redis, under a prefix no other run shares. */
const prefix = namesFor(`it${randomBytes(4).toString('hex')}`).queuePrefix;
let redis: Redis;

beforeAll(() => {
  const infra = readInfraEndpoints();
  if (!infra) throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up`');
  redis = createRedisConnection(infra.redisUrl, 'step-cache-it');
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const answer: CachedAnswer = {
  output: { id: 'c', model: 'gpt-4o-mini', content: 'notes', finishReason: 'stop' },
  usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12 },
  model: 'gpt-4o-mini',
  provider: 'openai',
  costUsd: 0.000003,
  cachedAt: new Date().toISOString(),
};

describe('createRedisStepCache', () => {
  it('stores per tenant with a TTL; another tenant and a corrupt entry read as misses', async () => {
    const cache = createRedisStepCache(redis, prefix);
    await cache.set('tenant_a', 'k1', answer, 60);
    expect(await cache.get('tenant_a', 'k1')).toEqual(answer);
    expect(await cache.get('tenant_b', 'k1')).toBeNull();
    const key = `${prefix}:cache:step:{tenant_a}:k1`;
    expect(await redis.ttl(key)).toBeGreaterThan(0);
    await redis.set(key, '{"output":');
    expect(await cache.get('tenant_a', 'k1')).toBeNull();
  });

  it('keeps each tenant within its configured bound, least recently used out, and counts evictions', async () => {
    let evicted = 0;
    const cache = createRedisStepCache(
      redis,
      prefix,
      { maxEntriesPerTenant: 2, maxEntryBytes: 256 * 1024 },
      (count) => (evicted += count),
    );
    await cache.set('tenant_bound', 'e1', answer, 60);
    await cache.set('tenant_bound', 'e2', answer, 60);
    await cache.set('tenant_bound', 'e3', answer, 60);
    expect(evicted).toBe(1);
    expect(await cache.get('tenant_bound', 'e1')).toBeNull();
    expect(await cache.get('tenant_bound', 'e3')).toEqual(answer);
  });

  it('does not store an output above the configured entry size', async () => {
    const cache = createRedisStepCache(redis, prefix, {
      maxEntriesPerTenant: 10,
      maxEntryBytes: 100,
    });
    await cache.set('tenant_small', 'big', answer, 60);
    expect(await cache.get('tenant_small', 'big')).toBeNull();
  });
});

describe('createRedisStepLock', () => {
  it('one holder per tenant and key; release frees it; a waiter returns once it is free', async () => {
    const lock = createRedisStepLock(redis, prefix, 10);
    const lease = await lock.acquire('tenant_a', 'k2', 10_000);
    expect(lease).not.toBeNull();
    expect(await lock.acquire('tenant_a', 'k2', 10_000)).toBeNull();
    expect(await lock.acquire('tenant_b', 'k2', 10_000)).not.toBeNull(); // tenants never contend

    let waited = false;
    const waiting = lock.waitForRelease('tenant_a', 'k2', 10_000).then(() => (waited = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(waited).toBe(false);
    await lease!.release();
    await waiting;
    expect(await lock.acquire('tenant_a', 'k2', 10_000)).not.toBeNull();
  });

  it('a lease that outlived its TTL does not release the next holder’s lock', async () => {
    const lock = createRedisStepLock(redis, prefix);
    const stale = await lock.acquire('tenant_a', 'k3', 20);
    await new Promise((r) => setTimeout(r, 60));
    const current = await lock.acquire('tenant_a', 'k3', 10_000);
    expect(current).not.toBeNull();
    await stale!.release();
    expect(await lock.acquire('tenant_a', 'k3', 10_000)).toBeNull();
  });
});
