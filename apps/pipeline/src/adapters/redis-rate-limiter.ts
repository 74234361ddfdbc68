import type { Redis } from '@asahi/queue';
import {
  assertRateLimitInput,
  type RateLimitCost,
  type RateLimitDecision,
  type RateLimitKey,
  type RateLimits,
} from '@asahi/stages';

/**
 * Shared provider/model rate limits: two token buckets (requests and tokens per minute) in one
 * Redis hash, `<prefix>:rl:{<provider>:<model>}`, with fields rl/tl (levels), ts (ms of the last
 * refill) and rpm/tpm (the limits last applied, so refund and snapshot need no limits). The
 * arithmetic is packages/stages' dispatch-planning/rate-limit.ts, run here inside one Lua script
 * per call so that check and debit of both buckets are atomic across every worker.
 *
 * The clock is Redis `TIME`, read inside the script, so workers with skewed clocks still agree.
 * `now` (ms) may be injected for tests; mixing injected and real time on one key is undefined.
 * Unlimited (`Infinity`) is sent as -1.
 */

// Shared Lua prelude: clock, refill, load (missing key = full buckets) and save with a TTL at
// the moment both buckets would be full again (an expired key reads as full, so nothing is lost).
const PRELUDE = `
local WINDOW = 60000
local function now_ms(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function refill(level, limit, elapsed)
  if limit < 0 then return 0 end
  return math.min(limit, level + elapsed * limit / WINDOW)
end
local function load(key, rpm, tpm, now)
  local h = redis.call('HMGET', key, 'rl', 'tl', 'ts')
  if not h[3] then return math.max(rpm, 0), math.max(tpm, 0), now end
  local ts = tonumber(h[3])
  local elapsed = math.max(0, now - ts)
  return refill(tonumber(h[1]), rpm, elapsed), refill(tonumber(h[2]), tpm, elapsed), math.max(now, ts)
end
local function fill_ms(level, limit)
  if limit <= 0 then return 0 end
  return (limit - level) * WINDOW / limit
end
local function save(key, rl, tl, ts, rpm, tpm)
  local f = '%.17g'
  redis.call('HSET', key, 'rl', string.format(f, rl), 'tl', string.format(f, tl),
    'ts', string.format(f, ts), 'rpm', string.format(f, rpm), 'tpm', string.format(f, tpm))
  local ttl = math.max(fill_ms(rl, rpm), fill_ms(tl, tpm))
  redis.call('PEXPIRE', key, math.ceil(ttl) + 1000)
end
`;

// ARGV: requests, tokens, rpm, tpm, now. Returns {1} or {0, retryAfterMs, 'rpm'|'tpm'}.
const ACQUIRE = `${PRELUDE}
local rc, tc, rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms(ARGV[5])
local rl, tl, ts = load(KEYS[1], rpm, tpm, now)
local function wait(level, cost, limit)
  if limit < 0 then return 0 end
  local needed = math.min(cost, limit)
  if level >= needed then return 0 end
  return math.ceil((needed - level) * WINDOW / limit)
end
local rw, tw = wait(rl, rc, rpm), wait(tl, tc, tpm)
if rw > 0 or tw > 0 then
  if tw > rw then return {0, tw, 'tpm'} end
  return {0, rw, 'rpm'}
end
save(KEYS[1], rl - rc, tl - tc, ts, rpm, tpm)
return {1}
`;

// ARGV: requests, tokens, now. A missing key is already full, so there is nothing to give back.
const REFUND = `${PRELUDE}
local h = redis.call('HMGET', KEYS[1], 'rpm', 'tpm')
if not h[1] then return 0 end
local rpm, tpm = tonumber(h[1]), tonumber(h[2])
local rl, tl, ts = load(KEYS[1], rpm, tpm, now_ms(ARGV[3]))
rl = math.min(rl + tonumber(ARGV[1]), math.max(rpm, 0))
tl = math.min(tl + tonumber(ARGV[2]), math.max(tpm, 0))
save(KEYS[1], rl, tl, ts, rpm, tpm)
return 1
`;

// ARGV: now. Read-only: returns {rl, tl, rpm, tpm} as strings (fractions survive), or nil.
const SNAPSHOT = `${PRELUDE}
local h = redis.call('HMGET', KEYS[1], 'rpm', 'tpm')
if not h[1] then return nil end
local rpm, tpm = tonumber(h[1]), tonumber(h[2])
local rl, tl = load(KEYS[1], rpm, tpm, now_ms(ARGV[1]))
return {string.format('%.17g', rl), string.format('%.17g', tl), h[1], h[2]}
`;

export interface RateLimitSnapshot {
  /** What could be spent now (never below 0; an overdrawn bucket reads 0; Infinity if unlimited). */
  requests: number;
  tokens: number;
  /** The limits last applied to this key (`Infinity` = not limited). */
  rpm: number;
  tpm: number;
}

export interface RedisRateLimiter {
  tryAcquire(
    key: RateLimitKey,
    cost: RateLimitCost,
    limits: RateLimits,
    now?: number,
  ): Promise<RateLimitDecision>;
  /** Returns reserved-but-unused budget (e.g. estimate − actual tokens); capped at the limit. */
  refund(key: RateLimitKey, cost: Partial<RateLimitCost>, now?: number): Promise<void>;
  /** Remaining budget for metrics; null when the key is unused or expired (= full). */
  snapshot(key: RateLimitKey, now?: number): Promise<RateLimitSnapshot | null>;
  /** The Redis key of a provider/model, hash-tagged so a cluster keeps it on one slot. */
  keyOf(key: RateLimitKey): string;
}

const toArg = (limit: number) => (limit === Infinity ? '-1' : String(limit));
const fromArg = (limit: string) => (Number(limit) < 0 ? Infinity : Number(limit));
const nowArg = (now?: number) => (now === undefined ? '' : String(now));

export function createRedisRateLimiter(
  redis: Redis,
  options: { prefix: string },
): RedisRateLimiter {
  const keyOf = ({ provider, model }: RateLimitKey) =>
    `${options.prefix}:rl:{${provider}:${model}}`;
  return {
    keyOf,
    async tryAcquire(key, cost, limits, now) {
      assertRateLimitInput(cost, limits);
      const args = [cost.requests, cost.tokens, toArg(limits.rpm), toArg(limits.tpm), nowArg(now)];
      const reply = (await redis.eval(ACQUIRE, 1, keyOf(key), ...args)) as [
        number,
        number?,
        string?,
      ];
      if (reply[0] === 1) return { ok: true };
      return { ok: false, retryAfterMs: Number(reply[1]), limitedBy: reply[2] as 'rpm' | 'tpm' };
    },
    async refund(key, cost, now) {
      assertRateLimitInput(cost);
      await redis.eval(REFUND, 1, keyOf(key), cost.requests ?? 0, cost.tokens ?? 0, nowArg(now));
    },
    async snapshot(key, now) {
      const reply = (await redis.eval(SNAPSHOT, 1, keyOf(key), nowArg(now))) as string[] | null;
      if (!reply) return null;
      const [rl, tl, rpm, tpm] = reply as [string, string, string, string];
      const remaining = (level: string, limit: number) =>
        limit === Infinity ? Infinity : Math.max(0, Number(level));
      return {
        requests: remaining(rl, fromArg(rpm)),
        tokens: remaining(tl, fromArg(tpm)),
        rpm: fromArg(rpm),
        tpm: fromArg(tpm),
      };
    },
  };
}
