import { describe, expect, it } from 'vitest';
import {
  acquireRateLimit,
  assertRateLimitInput,
  bucketWaitMs,
  fullRateLimitState,
  refillBucket,
  refundRateLimit,
  type RateLimitState,
} from './rate-limit';

describe('refillBucket', () => {
  it.each([
    { name: 'refills limit/60s per ms', level: 0, at: 0, limit: 10, now: 6_000, want: 1 },
    { name: 'caps at the limit', level: 9, at: 0, limit: 10, now: 60_000, want: 10 },
    { name: 'pays back a debt', level: -5, at: 0, limit: 10, now: 30_000, want: 0 },
    { name: 'ignores a clock going back', level: 3, at: 1_000, limit: 10, now: 0, want: 3 },
  ])('$name', ({ level, at, limit, now, want }) => {
    expect(refillBucket({ level, at }, limit, now).level).toBeCloseTo(want, 9);
  });
});

describe('bucketWaitMs', () => {
  it.each([
    { name: 'enough now', level: 1, cost: 1, limit: 10, want: 0 },
    { name: 'one request at rpm 10', level: 0, cost: 1, limit: 10, want: 6_000 },
    { name: 'half a request short', level: 0.5, cost: 1, limit: 10, want: 3_000 },
    { name: '2k tokens at tpm 60k', level: 0, cost: 2_000, limit: 60_000, want: 2_000 },
    {
      name: 'oversized cost waits only for a full bucket',
      level: 0,
      cost: 500,
      limit: 100,
      want: 60_000,
    },
  ])('$name', ({ level, cost, limit, want }) => {
    expect(bucketWaitMs(level, cost, limit)).toBe(want);
  });
});

describe('acquireRateLimit', () => {
  const limits = { rpm: 10, tpm: 1_000 };
  const step = (s: RateLimitState, tokens: number, now = 0) =>
    acquireRateLimit(s, { requests: 1, tokens }, limits, now);

  it('allows a burst of rpm requests, then denies with the refill time of one request', () => {
    let state = fullRateLimitState(limits, 0);
    for (let i = 0; i < 10; i++) {
      const r = step(state, 1);
      expect(r.decision).toEqual({ ok: true });
      state = r.state;
    }
    expect(step(state, 1).decision).toEqual({ ok: false, retryAfterMs: 6_000, limitedBy: 'rpm' });
    expect(step(state, 1, 6_000).decision).toEqual({ ok: true });
  });

  it('an oversized request overdraws a full bucket; a tpm denial then debits neither bucket', () => {
    const state = fullRateLimitState(limits, 0);
    const r = step(state, 1_001);
    expect(r.decision).toEqual({ ok: true });
    const denied = step(r.state, 100);
    expect(denied.decision).toEqual({ ok: false, retryAfterMs: 6_060, limitedBy: 'tpm' });
    expect(denied.state.requests.level).toBe(9);
  });

  it('reports the longer wait when both buckets are short', () => {
    const state: RateLimitState = { requests: { level: 0, at: 0 }, tokens: { level: 0, at: 0 } };
    expect(step(state, 500).decision).toEqual({
      ok: false,
      retryAfterMs: 30_000,
      limitedBy: 'tpm',
    });
    expect(step(state, 50).decision).toEqual({ ok: false, retryAfterMs: 6_000, limitedBy: 'rpm' });
  });

  it('Infinity means that bucket never limits', () => {
    const state = fullRateLimitState({ rpm: 1, tpm: Infinity }, 0);
    const r = acquireRateLimit(state, { requests: 1, tokens: 1e9 }, { rpm: 1, tpm: Infinity }, 0);
    expect(r.decision).toEqual({ ok: true });
  });
});

describe('refundRateLimit', () => {
  it('gives back unused tokens, never above the limit', () => {
    const state: RateLimitState = { requests: { level: 5, at: 0 }, tokens: { level: 100, at: 0 } };
    const limits = { rpm: 10, tpm: 1_000 };
    expect(refundRateLimit(state, { tokens: 300 }, limits, 0).tokens.level).toBe(400);
    expect(refundRateLimit(state, { tokens: 5_000 }, limits, 0).tokens.level).toBe(1_000);
    expect(refundRateLimit(state, { tokens: 300 }, limits, 0).requests.level).toBe(5);
  });
});

describe('assertRateLimitInput', () => {
  it.each([
    { cost: { requests: -1, tokens: 0 }, limits: undefined },
    { cost: { requests: 1, tokens: NaN }, limits: undefined },
    { cost: { requests: 1, tokens: 1 }, limits: { rpm: 0, tpm: 10 } },
  ])('rejects %j', ({ cost, limits }) => {
    expect(() => assertRateLimitInput(cost, limits)).toThrow(RangeError);
  });
});
