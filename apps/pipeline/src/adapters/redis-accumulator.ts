import { randomUUID } from 'node:crypto';
import type { DispatchJob } from '@asahi/contracts';
import type { Redis } from '@asahi/queue';
import type { PendingItem } from '@asahi/stages';

/**
 * Requests waiting for company before a Batch API job, per batching group, kept in Redis (never
 * in a worker's memory): a dispatch worker that dies holds nothing. Each group is a hash of
 * request id → entry and a sorted set by deadline; the set of groups lets a restarted pool find
 * them all. A group is planned under a short lock so two workers never flush the same members.
 */
export interface AccumulatedEntry {
  item: PendingItem;
  job: DispatchJob;
}

export interface RedisAccumulator {
  /** Adds the entries; returns how many the group holds now. */
  add(group: string, entries: AccumulatedEntry[]): Promise<number>;
  list(group: string): Promise<AccumulatedEntry[]>;
  remove(group: string, ids: string[]): Promise<void>;
  groups(): Promise<string[]>;
  /** Runs `work` holding the group's lock; returns null (without running it) if another holds it. */
  withLock<T>(group: string, ttlMs: number, work: () => Promise<T>): Promise<T | null>;
}

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export function createRedisAccumulator(
  redis: Redis,
  options: { prefix: string },
): RedisAccumulator {
  const base = `${options.prefix}:acc`;
  const data = (g: string) => `${base}:{${g}}:data`;
  const order = (g: string) => `${base}:{${g}}:order`;
  const lockKey = (g: string) => `${base}:{${g}}:lock`;
  const groupsKey = `${base}:groups`;

  return {
    async add(group, entries) {
      const tx = redis.multi();
      for (const entry of entries) {
        tx.hset(data(group), entry.item.id, JSON.stringify(entry));
        tx.zadd(order(group), entry.item.deadlineAt, entry.item.id);
      }
      if (entries.length > 0) tx.sadd(groupsKey, group);
      tx.zcard(order(group));
      const replies = (await tx.exec()) ?? [];
      return Number(replies.at(-1)?.[1] ?? 0);
    },
    async list(group) {
      const raw = await redis.hgetall(data(group));
      return Object.values(raw).map((v) => JSON.parse(v) as AccumulatedEntry);
    },
    async remove(group, ids) {
      if (ids.length === 0) return;
      for (let i = 0; i < ids.length; i += 5_000) {
        const chunk = ids.slice(i, i + 5_000);
        await redis
          .multi()
          .hdel(data(group), ...chunk)
          .zrem(order(group), ...chunk)
          .exec();
      }
    },
    groups: () => redis.smembers(groupsKey),
    async withLock(group, ttlMs, work) {
      const token = randomUUID();
      if ((await redis.set(lockKey(group), token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
      try {
        return await work();
      } finally {
        await redis.eval(RELEASE, 1, lockKey(group), token);
      }
    },
  };
}

/**
 * Per tenant and band, how many realtime dispatch jobs are waiting: the fair-share rank of the
 * next one (see `queuePriority`). Counters expire when idle, so a count a crash left behind heals.
 */
export interface RedisFairShare {
  /** Counts one more waiting job and returns its 1-based rank. */
  enter(band: string, tenantId: string): Promise<number>;
  leave(band: string, tenantId: string): Promise<void>;
}

const ENTER = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
`;
const LEAVE = `
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
`;

export function createRedisFairShare(
  redis: Redis,
  options: { prefix: string; idleTtlMs?: number },
): RedisFairShare {
  const key = (band: string, tenantId: string) => `${options.prefix}:fair:${band}:${tenantId}`;
  const ttl = options.idleTtlMs ?? 15 * 60_000;
  return {
    enter: async (band, tenantId) => Number(await redis.eval(ENTER, 1, key(band, tenantId), ttl)),
    leave: async (band, tenantId) => {
      await redis.eval(LEAVE, 1, key(band, tenantId));
    },
  };
}
