import { randomBytes } from 'node:crypto';
import type { Redis } from '@asahi/queue';
import type { ExactCache, StepLease, StepLock } from '@asahi/stages';
import { createRedisExactCache } from './redis-exact-cache';

export interface StepCacheBounds {
  /** Most step outputs kept per tenant; the least recently used beyond it are evicted. */
  maxEntriesPerTenant: number;
  /** Outputs larger than this (bytes of JSON) are not cached. */
  maxEntryBytes: number;
}

/** Used when the pipeline config does not say (STEP_CACHE_MAX_ENTRIES_PER_TENANT, …_ENTRY_BYTES). */
export const DEFAULT_STEP_CACHE_BOUNDS: StepCacheBounds = {
  maxEntriesPerTenant: 100_000,
  maxEntryBytes: 256 * 1024,
};

/**
 * Tier-3 step cache in Redis: `<prefix>:cache:step:{<tenantId>}:<stepKey>`, the exact cache's
 * layout and bounds under its own name. The tenant id is in every key, so one tenant never reads
 * another's steps even though step keys are tenant-free. `onEvict` counts LRU evictions.
 */
export function createRedisStepCache(
  redis: Redis,
  prefix: string,
  bounds: StepCacheBounds = DEFAULT_STEP_CACHE_BOUNDS,
  onEvict?: (count: number) => void,
): ExactCache {
  return createRedisExactCache(redis, {
    prefix,
    tier: 'step',
    ...bounds,
    ...(onEvict ? { onEvict } : {}),
  });
}

// Deletes the lock only if it still holds our token, so a lease that outlived its TTL cannot
// release a lock another worker has taken since.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * In-flight claims on step keys (`<prefix>:lock:step:{<tenantId>}:<stepKey>`, SET NX PX), so that
 * requests sharing a step at the same moment compute it once. The TTL bounds how long a crashed
 * holder blocks the others; waiters poll every `pollMs`.
 */
export function createRedisStepLock(redis: Redis, prefix: string, pollMs = 50): StepLock {
  const keyOf = (tenantId: string, key: string) => `${prefix}:lock:step:{${tenantId}}:${key}`;
  return {
    async acquire(tenantId, key, ttlMs): Promise<StepLease | null> {
      const lockKey = keyOf(tenantId, key);
      const token = randomBytes(12).toString('hex');
      const ok = await redis.set(lockKey, token, 'PX', ttlMs, 'NX');
      if (ok !== 'OK') return null;
      return { release: async () => void (await redis.eval(RELEASE, 1, lockKey, token)) };
    },
    async waitForRelease(tenantId, key, timeoutMs) {
      const lockKey = keyOf(tenantId, key);
      const until = Date.now() + timeoutMs;
      while (Date.now() < until && (await redis.exists(lockKey)) === 1)
        await new Promise((r) => setTimeout(r, pollMs));
    },
  };
}
