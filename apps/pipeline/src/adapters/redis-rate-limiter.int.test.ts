import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namesFor } from '@asahi/contracts';
import { readInfraEndpoints } from '@asahi/local-infra';
import { createRedisConnection, type Redis } from '@asahi/queue';
import type { RateLimitDecision } from '@asahi/stages';
import { createRedisRateLimiter, type RedisRateLimiter } from './redis-rate-limiter';

/**
 * The shared rate limiter against a real Redis. Two connections stand in for two worker
 * processes. Expected waits come from the bucket math (one unit refills every 60 000 / limit ms);
 * tests that need time to pass inject `now` instead of sleeping.
 */
const prefix = namesFor(`it${randomBytes(4).toString('hex')}`).queuePrefix;
let redisA: Redis;
let redisB: Redis;
let limiter: RedisRateLimiter;
let other: RedisRateLimiter;
let n = 0;
const freshKey = () => ({ provider: 'openai', model: `m${++n}` });
const one = (tokens = 1) => ({ requests: 1, tokens });
const okCount = (rs: RateLimitDecision[]) => rs.filter((r) => r.ok).length;

beforeAll(() => {
  const infra = readInfraEndpoints();
  if (!infra) throw new Error('local infra is not running: run `npx tsx scripts/infra/cli.ts up`');
  redisA = createRedisConnection(infra.redisUrl, 'rate-limit-it-a');
  redisB = createRedisConnection(infra.redisUrl, 'rate-limit-it-b');
  limiter = createRedisRateLimiter(redisA, { prefix });
  other = createRedisRateLimiter(redisB, { prefix });
});

afterAll(async () => {
  const keys = await redisA.keys(`${prefix}:*`);
  if (keys.length > 0) await redisA.del(...keys);
  await Promise.all([redisA.quit(), redisB.quit()]);
});

describe('createRedisRateLimiter', () => {
  it('two connections share one budget: 30 concurrent requests at rpm 10 admit exactly 10', async () => {
    const key = freshKey();
    const limits = { rpm: 10, tpm: 1_000_000 };
    const calls = Array.from({ length: 30 }, (_, i) =>
      (i % 2 ? limiter : other).tryAcquire(key, one(), limits, 1_000),
    );
    const results = await Promise.all(calls);
    expect(okCount(results)).toBe(10);
    expect(results.filter((r) => !r.ok && r.limitedBy === 'rpm')).toHaveLength(20);
  });

  it('rpm 10 on Redis TIME: 10 pass, the 11th waits 6 000 ms less the refill during the burst', async () => {
    const key = freshKey();
    const limits = { rpm: 10, tpm: 1_000_000 };
    const started = performance.now();
    for (let i = 0; i < 10; i++)
      expect(await limiter.tryAcquire(key, one(), limits)).toEqual({ ok: true });
    const denied = await other.tryAcquire(key, one(), limits);
    const elapsed = performance.now() - started; // bounds the server-side time between the calls
    expect(denied.ok).toBe(false);
    if (denied.ok) return;
    expect(denied.limitedBy).toBe('rpm');
    // level gained = elapsed·10/60 000 requests, so wait = (1 − gained)·6 000 = 6 000 − elapsed.
    expect(denied.retryAfterMs).toBeLessThanOrEqual(6_000);
    expect(denied.retryAfterMs).toBeGreaterThanOrEqual(Math.floor(6_000 - elapsed) - 1);
  });

  it('refills continuously: with injected time, the wait is exact and retrying after it passes', async () => {
    const key = freshKey();
    const limits = { rpm: 10, tpm: 1_000_000 };
    for (let i = 0; i < 10; i++) await limiter.tryAcquire(key, one(), limits, 0);
    expect(await limiter.tryAcquire(key, one(), limits, 0)).toEqual({
      ok: false,
      retryAfterMs: 6_000,
      limitedBy: 'rpm',
    });
    expect(await limiter.tryAcquire(key, one(), limits, 5_999)).toMatchObject({
      ok: false,
      retryAfterMs: 1,
    });
    expect(await limiter.tryAcquire(key, one(), limits, 6_000)).toEqual({ ok: true });
    expect((await limiter.snapshot(key, 36_000))?.requests).toBeCloseTo(5, 9);
    expect((await limiter.snapshot(key, 600_000))?.requests).toBe(10); // capped at the limit
  });

  it('tpm bounds large token costs and reports the time to refill the shortfall', async () => {
    const key = freshKey();
    const limits = { rpm: 1_000, tpm: 100_000 };
    expect(await limiter.tryAcquire(key, one(40_000), limits, 0)).toEqual({ ok: true });
    expect(await other.tryAcquire(key, one(40_000), limits, 0)).toEqual({ ok: true });
    // 20 000 left, 40 000 needed: 20 000 tokens at 100 000/min take 12 000 ms.
    expect(await limiter.tryAcquire(key, one(40_000), limits, 0)).toEqual({
      ok: false,
      retryAfterMs: 12_000,
      limitedBy: 'tpm',
    });
    expect(await limiter.tryAcquire(key, one(40_000), limits, 12_000)).toEqual({ ok: true });
  });

  it('is atomic: a request denied by tpm consumes no rpm slot', async () => {
    const key = freshKey();
    const limits = { rpm: 2, tpm: 1_000 };
    expect(await limiter.tryAcquire(key, one(1_000), limits, 0)).toEqual({ ok: true });
    for (let i = 0; i < 5; i++)
      expect(await limiter.tryAcquire(key, one(500), limits, 0)).toMatchObject({
        ok: false,
        limitedBy: 'tpm',
      });
    expect(await limiter.snapshot(key, 0)).toEqual({ requests: 1, tokens: 0, rpm: 2, tpm: 1_000 });
    expect(await limiter.tryAcquire(key, one(0), limits, 0)).toEqual({ ok: true });
    expect(await limiter.tryAcquire(key, one(0), limits, 0)).toMatchObject({
      ok: false,
      limitedBy: 'rpm',
    });
  });

  it('refund returns unused estimated tokens, never above the limit; unused keys read null', async () => {
    const key = freshKey();
    const limits = { rpm: 10, tpm: 10_000 };
    expect(await limiter.snapshot(key, 0)).toBeNull();
    await limiter.tryAcquire(key, one(8_000), limits, 0);
    await other.refund(key, { tokens: 5_000 }, 0); // actual usage was 3 000
    expect(await limiter.snapshot(key, 0)).toEqual({
      requests: 9,
      tokens: 7_000,
      rpm: 10,
      tpm: 10_000,
    });
    await limiter.refund(key, { requests: 5, tokens: 50_000 }, 0);
    expect(await limiter.snapshot(key, 0)).toEqual({
      requests: 10,
      tokens: 10_000,
      rpm: 10,
      tpm: 10_000,
    });
  });

  it('models and providers do not share budgets; keys are hash-tagged and expire once full', async () => {
    const limits = { rpm: 1, tpm: 1_000 };
    const a = { provider: 'openai', model: `share${n}` };
    const b = { provider: 'openai', model: `share${n}-mini` };
    const c = { provider: 'anthropic', model: `share${n}` };
    expect(await limiter.tryAcquire(a, one(), limits)).toEqual({ ok: true });
    expect(await limiter.tryAcquire(a, one(), limits)).toMatchObject({ ok: false });
    expect(await limiter.tryAcquire(b, one(), limits)).toEqual({ ok: true });
    expect(await limiter.tryAcquire(c, one(), limits)).toEqual({ ok: true });
    expect(limiter.keyOf(a)).toBe(`${prefix}:rl:{openai:share${n}}`);
    const ttl = await redisA.pttl(limiter.keyOf(a));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(61_000); // an empty rpm-1 bucket is full after 60 s
  });

  it('Infinity leaves a bucket unlimited; invalid limits are rejected before Redis', async () => {
    const key = freshKey();
    const limits = { rpm: 2, tpm: Infinity };
    expect(await limiter.tryAcquire(key, one(1e9), limits, 0)).toEqual({ ok: true });
    expect(await limiter.snapshot(key, 0)).toEqual({
      requests: 1,
      tokens: Infinity,
      rpm: 2,
      tpm: Infinity,
    });
    await expect(limiter.tryAcquire(key, one(), { rpm: 0, tpm: 1 })).rejects.toThrow(RangeError);
  });
});
