import { describe, expect, it } from 'vitest';
import { AppError } from '@asahi/errors';
import { apiKeyFromHeaders, basicPassword, createKeyCache, type Principal } from './auth';

const principal: Principal = { keyId: 'k1', tenantId: 't1', roles: ['submitter'] };

function counting(answer: (key: string) => Principal | null) {
  const calls: string[] = [];
  return { calls, lookup: async (key: string) => (calls.push(key), answer(key)) };
}

describe('createKeyCache', () => {
  it('serves a found key from memory until the TTL, then asks again', async () => {
    let now = 0;
    const { calls, lookup } = counting(() => principal);
    const cache = createKeyCache(lookup, { ttlMs: 30_000, now: () => now });
    expect(await cache.resolve('ask_a')).toEqual(principal);
    now = 29_999;
    await cache.resolve('ask_a');
    expect(calls).toHaveLength(1);
    now = 30_000;
    await cache.resolve('ask_a');
    expect(calls).toHaveLength(2);
  });

  it('remembers unknown keys only briefly', async () => {
    let now = 0;
    const { calls, lookup } = counting(() => null);
    const cache = createKeyCache(lookup, { negativeTtlMs: 2_000, now: () => now });
    expect(await cache.resolve('ask_x')).toBeNull();
    await cache.resolve('ask_x');
    now = 2_000;
    await cache.resolve('ask_x');
    expect(calls).toHaveLength(2);
  });

  it('shares one lookup between concurrent misses', async () => {
    const { calls, lookup } = counting(() => principal);
    const cache = createKeyCache(lookup);
    await Promise.all([cache.resolve('ask_a'), cache.resolve('ask_a'), cache.resolve('ask_a')]);
    expect(calls).toHaveLength(1);
  });

  it('is bounded, evicting the least recently used key', async () => {
    const { calls, lookup } = counting(() => principal);
    const cache = createKeyCache(lookup, { maxEntries: 2 });
    await cache.resolve('a');
    await cache.resolve('b');
    await cache.resolve('a'); // a is now most recent
    await cache.resolve('c'); // evicts b
    expect(cache.size).toBe(2);
    await cache.resolve('a');
    await cache.resolve('b');
    expect(calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('turns a failing lookup into a retryable 503', async () => {
    const cache = createKeyCache(async () => {
      throw new Error('connection refused');
    });
    const err = await cache.resolve('ask_a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
  });
});

describe('key extraction', () => {
  it.each([
    [{ authorization: 'Bearer ask_1' }, 'ask_1'],
    [{ authorization: 'bearer   ask_1 ' }, 'ask_1'],
    [{ 'x-api-key': 'ask_2' }, 'ask_2'],
    [{ authorization: 'Basic abc', 'x-api-key': 'ask_3' }, 'ask_3'],
    [{ authorization: 'Bearer' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, want) => {
    expect(apiKeyFromHeaders(headers)).toBe(want);
  });

  it.each([
    [`Basic ${Buffer.from('ops:ask_admin').toString('base64')}`, 'ask_admin'],
    [`Basic ${Buffer.from(':ask_admin').toString('base64')}`, 'ask_admin'],
    [`Basic ${Buffer.from('ops:pass:with:colons').toString('base64')}`, 'pass:with:colons'],
    [`Basic ${Buffer.from('ops').toString('base64')}`, undefined],
    ['Bearer ask_1', undefined],
  ])('basic %s → %s', (authorization, want) => {
    expect(basicPassword({ authorization })).toBe(want);
  });
});
