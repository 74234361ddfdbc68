import type { Redis } from '@asahi/queue';
import type { CachedAnswer, ExactCache } from '@asahi/stages';

/**
 * Tier-1 exact cache in Redis. The tenant id is part of every key, so no lookup can cross
 * tenants; entries expire by TTL and Redis' maxmemory policy bounds total memory.
 */
export function createRedisExactCache(redis: Redis, prefix: string): ExactCache {
  const keyOf = (tenantId: string, key: string) => `${prefix}:cache:exact:{${tenantId}}:${key}`;
  return {
    async get(tenantId, key) {
      const raw = await redis.get(keyOf(tenantId, key));
      if (raw === null) return null;
      try {
        return JSON.parse(raw) as CachedAnswer;
      } catch {
        return null; // a corrupt entry is a miss, and the next answer overwrites it
      }
    },
    async set(tenantId, key, answer, ttlSeconds) {
      await redis.set(keyOf(tenantId, key), JSON.stringify(answer), 'EX', ttlSeconds);
    },
  };
}
