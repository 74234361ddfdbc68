import type { Redis } from 'ioredis';

/**
 * The three atomic operations on one namespace. Keys (all share one hash tag, so a cluster keeps
 * a namespace on one slot): entries (hash id → encoded entry), order (zset id → seq of its last
 * write: eviction order), expiry (zset id → expiresAt ms), tombs (zset id → seq of its removal),
 * meta (hash: epoch, seq, floor, evicted, expired).
 *
 * Every change takes the next `seq`. A replica that has applied everything up to seq S catches up
 * by reading order and tombs entries with seq > S. Tombs are trimmed to a bound; `floor` is the
 * highest trimmed seq, so a replica behind it reloads in full. `epoch` changes when the namespace
 * is recreated (after its keys expired), which also forces a reload.
 */

const SHARED = `
local entries, order, expiry, tombs, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local function tomb(id)
  redis.call('ZADD', tombs, redis.call('HINCRBY', meta, 'seq', 1), id)
end
local function trimTombs(limit)
  local over = redis.call('ZCARD', tombs) - limit
  if over > 0 then
    local popped = redis.call('ZPOPMIN', tombs, over)
    redis.call('HSET', meta, 'floor', popped[#popped])
  end
end
local function seqNow()
  return tonumber(redis.call('HGET', meta, 'seq') or '0')
end
`;

/** ARGV: now, epochCandidate, maxEntries, tombLimit, keyTtlMs, expireBatch, then id/blob/expiresAt triples. */
const UPSERT = `${SHARED}
local now = ARGV[1]
redis.call('HSETNX', meta, 'epoch', ARGV[2])
local epoch = redis.call('HGET', meta, 'epoch')
local startSeq = seqNow() + 1
local expired = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
for _, id in ipairs(expired) do
  redis.call('HDEL', entries, id)
  redis.call('ZREM', order, id)
  redis.call('ZREM', expiry, id)
  tomb(id)
end
if #expired > 0 then redis.call('HINCRBY', meta, 'expired', #expired) end
for i = 7, #ARGV, 3 do
  local id = ARGV[i]
  redis.call('HSET', entries, id, ARGV[i + 1])
  redis.call('ZADD', order, redis.call('HINCRBY', meta, 'seq', 1), id)
  redis.call('ZADD', expiry, ARGV[i + 2], id)
  redis.call('ZREM', tombs, id)
end
local evicted = {}
local over = redis.call('ZCARD', order) - tonumber(ARGV[3])
if over > 0 then
  local popped = redis.call('ZPOPMIN', order, over)
  for j = 1, #popped, 2 do
    local id = popped[j]
    redis.call('HDEL', entries, id)
    redis.call('ZREM', expiry, id)
    tomb(id)
    evicted[#evicted + 1] = id
  end
  redis.call('HINCRBY', meta, 'evicted', #evicted)
end
trimTombs(tonumber(ARGV[4]))
-- The namespace's keys outlive its longest-lived entry, then vanish together: an abandoned
-- tenant costs nothing, without any sweeper process.
local ttl = tonumber(ARGV[5])
for _, key in ipairs(KEYS) do
  local current = redis.call('PTTL', key)
  if current ~= -2 and current < ttl then redis.call('PEXPIRE', key, ttl) end
end
return {epoch, tostring(startSeq), tostring(seqNow()), expired, evicted}
`;

/** ARGV: tombLimit, then ids. */
const DELETE = `${SHARED}
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then return {'', '0', '0', {}} end
local startSeq = seqNow() + 1
local removed = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('HDEL', entries, id) == 1 then
    redis.call('ZREM', order, id)
    redis.call('ZREM', expiry, id)
    tomb(id)
    removed[#removed + 1] = id
  end
end
trimTombs(tonumber(ARGV[1]))
if redis.call('PTTL', tombs) == -1 then
  local ttl = redis.call('PTTL', meta)
  if ttl > 0 then redis.call('PEXPIRE', tombs, ttl) end
end
return {epoch, tostring(startSeq), tostring(seqNow()), removed}
`;

/**
 * ARGV: epoch, lastSeq, pageLimit. Returns {'empty'} | {'reset', epoch, seq} |
 * {'ok'|'more', epoch, uptoSeq, {id, blob, ...}, {deletedId, ...}}. Pages cut at a seq both sets
 * have fully covered, so applying pages in order never skips a change.
 */
const SYNC = `${SHARED}
local m = redis.call('HMGET', meta, 'epoch', 'seq', 'floor')
if not m[1] then return {'empty'} end
local seq = tonumber(m[2] or '0')
local last = tonumber(ARGV[2])
if m[1] ~= ARGV[1] or last < tonumber(m[3] or '0') or last > seq then
  return {'reset', m[1], tostring(seq)}
end
if last == seq then return {'ok', m[1], tostring(seq), {}, {}} end
local limit = tonumber(ARGV[3])
local ups = redis.call('ZRANGEBYSCORE', order, '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
local dels = redis.call('ZRANGEBYSCORE', tombs, '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
local cut = seq
if #ups == 2 * limit then cut = math.min(cut, tonumber(ups[#ups])) end
if #dels == 2 * limit then cut = math.min(cut, tonumber(dels[#dels])) end
local upOut, delOut = {}, {}
for j = 1, #ups, 2 do
  if tonumber(ups[j + 1]) <= cut then
    upOut[#upOut + 1] = ups[j]
    upOut[#upOut + 1] = redis.call('HGET', entries, ups[j])
  end
end
for j = 1, #dels, 2 do
  if tonumber(dels[j + 1]) <= cut then delOut[#delOut + 1] = dels[j] end
end
return {cut < seq and 'more' or 'ok', m[1], tostring(cut), upOut, delOut}
`;

export type Reply = Buffer | Reply[];

/** Typed access to the scripts ioredis defines (EVALSHA with a transparent NOSCRIPT fallback). */
export interface VectorScripts {
  upsert(keys: string[], args: (string | Buffer | number)[]): Promise<Reply[]>;
  remove(keys: string[], args: (string | number)[]): Promise<Reply[]>;
  sync(keys: string[], args: (string | number)[]): Promise<Reply[]>;
}

const COMMANDS = { asahiVecUpsert: UPSERT, asahiVecDelete: DELETE, asahiVecSync: SYNC } as const;
type ScriptFn = (...args: (string | Buffer | number)[]) => Promise<Reply[]>;

export function defineVectorScripts(redis: Redis): VectorScripts {
  for (const [name, lua] of Object.entries(COMMANDS)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 5, lua });
  }
  // `<name>Buffer` variants return Buffers, so vector bytes arrive untouched.
  const fn = (name: keyof typeof COMMANDS) =>
    (redis as unknown as Record<string, ScriptFn>)[`${name}Buffer`]!.bind(redis);
  const upsert = fn('asahiVecUpsert');
  const remove = fn('asahiVecDelete');
  const sync = fn('asahiVecSync');
  return {
    upsert: (keys, args) => upsert(...keys, ...args),
    remove: (keys, args) => remove(...keys, ...args),
    sync: (keys, args) => sync(...keys, ...args),
  };
}
