import { chatOutputSchema, parseJsonWith, usageSchema, z } from '@asahi/contracts';
import type { Redis } from '@asahi/queue';
import type { ExactCache } from '@asahi/stages';

/** What a hit must hold to be served; anything else (truncated, older layout) is a miss. */
const cachedAnswerSchema = z.object({
  output: chatOutputSchema,
  usage: usageSchema,
  model: z.string(),
  provider: z.string(),
  costUsd: z.number().nonnegative(),
  cachedAt: z.string(),
});

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
      // A corrupt entry is a miss, and the next answer overwrites it.
      const parsed = parseJsonWith(cachedAnswerSchema, raw);
      return parsed.ok ? parsed.value : null;
    },
    async set(tenantId, key, answer, ttlSeconds) {
      await redis.set(keyOf(tenantId, key), JSON.stringify(answer), 'EX', ttlSeconds);
    },
  };
}
