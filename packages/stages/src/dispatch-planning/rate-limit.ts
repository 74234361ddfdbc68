/**
 * Provider/model rate limits as two token buckets (requests and tokens per minute). This is the
 * specification of the arithmetic; the Redis adapter runs the same steps inside one Lua script so
 * that every worker shares the budget. Each bucket holds up to one minute's allowance and refills
 * continuously at `limit / 60 000` per millisecond, so a full bucket allows a burst of `limit` and
 * then one unit every `60 000 / limit` ms.
 */

export interface RateLimitKey {
  provider: string;
  model: string;
}

export interface RateLimitCost {
  requests: number;
  tokens: number;
}

/** Requests and tokens per minute. `Infinity` means "not limited". */
export interface RateLimits {
  rpm: number;
  tpm: number;
}

export type RateLimitedBy = 'rpm' | 'tpm';

export type RateLimitDecision =
  { ok: true } | { ok: false; retryAfterMs: number; limitedBy: RateLimitedBy };

/** One bucket's level (may be negative after an oversized request) as of `at` (ms). */
export interface BucketState {
  level: number;
  at: number;
}

export const RATE_WINDOW_MS = 60_000;

/** The level at `now`: refilled continuously, capped at the limit; a clock going back adds nothing. */
export function refillBucket(state: BucketState, limit: number, now: number): BucketState {
  const elapsed = Math.max(0, now - state.at);
  const level = Math.min(limit, state.level + (elapsed * limit) / RATE_WINDOW_MS);
  return { level, at: Math.max(now, state.at) };
}

/**
 * How long until the bucket holds `cost`. A cost above the limit only waits for a full bucket
 * (and then overdraws it), otherwise it could never pass.
 */
export function bucketWaitMs(level: number, cost: number, limit: number): number {
  const needed = Math.min(cost, limit);
  if (level >= needed) return 0;
  return Math.ceil(((needed - level) * RATE_WINDOW_MS) / limit);
}

export interface RateLimitState {
  requests: BucketState;
  tokens: BucketState;
}

/** A bucket that has never been used is full. */
export function fullRateLimitState(limits: RateLimits, now: number): RateLimitState {
  return { requests: { level: limits.rpm, at: now }, tokens: { level: limits.tpm, at: now } };
}

/**
 * Both buckets are refilled, then debited together or not at all. When both are short, the
 * longer wait is reported, so retrying after `retryAfterMs` finds both refilled.
 */
export function acquireRateLimit(
  state: RateLimitState,
  cost: RateLimitCost,
  limits: RateLimits,
  now: number,
): { decision: RateLimitDecision; state: RateLimitState } {
  const requests = refillBucket(state.requests, limits.rpm, now);
  const tokens = refillBucket(state.tokens, limits.tpm, now);
  const rpmWait =
    limits.rpm === Infinity ? 0 : bucketWaitMs(requests.level, cost.requests, limits.rpm);
  const tpmWait = limits.tpm === Infinity ? 0 : bucketWaitMs(tokens.level, cost.tokens, limits.tpm);
  if (rpmWait > 0 || tpmWait > 0) {
    const limitedBy: RateLimitedBy = tpmWait > rpmWait ? 'tpm' : 'rpm';
    return {
      decision: { ok: false, retryAfterMs: Math.max(rpmWait, tpmWait), limitedBy },
      state: { requests, tokens },
    };
  }
  return {
    decision: { ok: true },
    state: {
      requests: { ...requests, level: requests.level - cost.requests },
      tokens: { ...tokens, level: tokens.level - cost.tokens },
    },
  };
}

/** Gives back what was reserved but not used; never above the limit. */
export function refundRateLimit(
  state: RateLimitState,
  refund: Partial<RateLimitCost>,
  limits: RateLimits,
  now: number,
): RateLimitState {
  const requests = refillBucket(state.requests, limits.rpm, now);
  const tokens = refillBucket(state.tokens, limits.tpm, now);
  return {
    requests: { ...requests, level: Math.min(limits.rpm, requests.level + (refund.requests ?? 0)) },
    tokens: { ...tokens, level: Math.min(limits.tpm, tokens.level + (refund.tokens ?? 0)) },
  };
}

/** Rejects limits and costs the buckets cannot represent (a typo here would block a model). */
export function assertRateLimitInput(cost: Partial<RateLimitCost>, limits?: RateLimits): void {
  for (const [name, v] of Object.entries(cost))
    if (!(Number.isFinite(v) && v >= 0))
      throw new RangeError(`rate limit cost ${name} must be ≥ 0`);
  if (!limits) return;
  for (const [name, v] of Object.entries(limits))
    if (!(v > 0)) throw new RangeError(`rate limit ${name} must be > 0 (Infinity for none)`);
}
