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
  baselineCostUsd: z.number().nonnegative().optional(),
  cachedAt: z.string(),
});

export interface ExactCacheOptions {
  prefix: string;
  /** Key namespace: `exact` (tier 1, default) or `step` (tier-3 step outputs). */
  tier?: 'exact' | 'step';
  /** Most entries kept per tenant; the least recently used beyond it are evicted. */
  maxEntriesPerTenant: number;
  /** Answers larger than this (bytes of JSON) are not cached. */
  maxEntryBytes: number;
  onEvict?: (count: number) => void;
}

/**
 * SET the entry, record it in the tenant's LRU index, and evict the least recently used entries
 * beyond the bound — atomically, so concurrent writers can never overshoot it.
 * KEYS[1] entry, KEYS[2] LRU index; ARGV value, ttl, now, max, key prefix of the tenant's entries.
 */
const SET_BOUNDED = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over <= 0 then return 0 end
local victims = redis.call('ZPOPMIN', KEYS[2], over)
for i = 1, #victims, 2 do redis.call('DEL', victims[i]) end
return over`;

/**
 * Tier-1 exact cache in Redis. The tenant id is part of every key (and its hash tag), so no
 * lookup can cross tenants. Memory is bounded by us, not by Redis eviction (BullMQ shares this
 * Redis and needs noeviction): entries expire by TTL, and each tenant keeps at most
 * `maxEntriesPerTenant`, least recently used evicted first.
 */
export function createRedisExactCache(redis: Redis, options: ExactCacheOptions): ExactCache {
  const tier = options.tier ?? 'exact';
  const tenantPrefix = (tenantId: string) => `${options.prefix}:cache:${tier}:{${tenantId}}`;
  const keyOf = (tenantId: string, key: string) => `${tenantPrefix(tenantId)}:${key}`;
  const lruOf = (tenantId: string) => `${tenantPrefix(tenantId)}#lru`;
  return {
    async get(tenantId, key) {
      const entry = keyOf(tenantId, key);
      const raw = await redis.get(entry);
      if (raw === null) {
        // Expired by TTL: drop it from the LRU index so it stops counting against the bound.
        await redis.zrem(lruOf(tenantId), entry);
        return null;
      }
      // A corrupt entry is a miss, and the next answer overwrites it.
      const parsed = parseJsonWith(cachedAnswerSchema, raw);
      if (!parsed.ok) return null;
      await redis.zadd(lruOf(tenantId), Date.now(), entry);
      return parsed.value;
    },
    async set(tenantId, key, answer, ttlSeconds) {
      const value = JSON.stringify(answer);
      if (Buffer.byteLength(value) > options.maxEntryBytes) return;
      const evicted = Number(
        await redis.eval(
          SET_BOUNDED,
          2,
          keyOf(tenantId, key),
          lruOf(tenantId),
          value,
          ttlSeconds,
          Date.now(),
          options.maxEntriesPerTenant,
        ),
      );
      if (evicted > 0) options.onEvict?.(evicted);
    },
  };
}
