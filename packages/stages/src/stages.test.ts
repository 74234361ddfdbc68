import { describe, expect, it } from 'vitest';
import { fixtures, requestMessageSchema, type RequestMessage } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import { exactCacheKey } from './canonical';
import { decideCache } from './cache-policy';
import { dispatchRequest } from './dispatch.stage';
import type { CachedAnswer, ChatProvider, ExactCache } from './ports';
import { prepareRequest } from './prepare/prepare.stage';
import { costOf } from './pricing';

const base = requestMessageSchema.parse(fixtures.request());
const NOW = Date.parse('2026-11-22T10:00:01.000Z');
const clock = { now: () => NOW };

/** A port fake for pure-stage tests; the Redis adapter has its own integration test. */
function mapCache(): ExactCache & { entries: Map<string, CachedAnswer> } {
  const entries = new Map<string, CachedAnswer>();
  return {
    entries,
    get: async (t, k) => entries.get(`${t}|${k}`) ?? null,
    set: async (t, k, v) => void entries.set(`${t}|${k}`, v),
  };
}

function provider(
  behaviour: () => Promise<Awaited<ReturnType<ChatProvider['complete']>>>,
): ChatProvider & { calls: number } {
  const p = { name: 'openai', calls: 0, complete: async () => (p.calls++, behaviour()) };
  return p;
}

const answer = {
  output: { id: 'c1', model: 'gpt-4o-mini', content: 'Tokyo.', finishReason: 'stop' },
  usage: { promptTokens: 1000, completionTokens: 500, totalTokens: 1500 },
};

describe('exactCacheKey', () => {
  const with_ = (patch: Partial<RequestMessage['body']>) =>
    exactCacheKey({ ...base.body, ...patch });
  it.each([
    ['user field', { user: 'someone' }, true],
    ['temperature', { temperature: 0.7 }, false],
    ['model', { model: 'gpt-4o' }, false],
    ['max_tokens', { max_tokens: 65 }, false],
    [
      'message text',
      { messages: [{ role: 'user' as const, content: 'What is the capital of France?' }] },
      false,
    ],
  ])('changing %s keeps the key equal: %s', (_f, patch, same) => {
    expect(with_(patch) === exactCacheKey(base.body)).toBe(same);
  });
  it('does not depend on property order', () => {
    const reordered = JSON.parse(
      JSON.stringify({
        max_tokens: 64,
        temperature: 0,
        messages: base.body.messages,
        model: 'gpt-4o-mini',
      }),
    );
    expect(exactCacheKey(reordered)).toBe(exactCacheKey(base.body));
  });
});

describe('decideCache: a request may narrow its tenant policy, never widen it', () => {
  const body = base.body;
  type Mode = 'read-write' | 'read-only' | 'write-only' | 'off';
  it.each<[string, Mode | undefined, Mode | undefined, boolean, boolean]>([
    ['both silent', undefined, undefined, true, true],
    ['tenant off, request silent', undefined, 'off', false, false],
    ['tenant read-only, request silent', undefined, 'read-only', true, false],
    ['tenant write-only, request silent', undefined, 'write-only', false, true],
    ['request read-write cannot widen tenant off', 'read-write', 'off', false, false],
    ['request read-write cannot widen tenant read-only', 'read-write', 'read-only', true, false],
    ['request read-only narrows tenant read-write', 'read-only', 'read-write', true, false],
    ['request write-only narrows tenant read-write', 'write-only', undefined, false, true],
    ['request off narrows tenant read-write', 'off', 'read-write', false, false],
    [
      'request read-only and tenant write-only allow nothing',
      'read-only',
      'write-only',
      false,
      false,
    ],
  ])('%s', (_n, requestMode, tenantMode, read, write) => {
    const cache = requestMode ? { cache: { mode: requestMode } } : {};
    const tenant = { cache: tenantMode ? { mode: tenantMode } : {} };
    expect(decideCache({ body, ...cache }, tenant)).toMatchObject({ read, write });
  });

  it('a parsed request that sends only a TTL keeps its tenant’s cache off', () => {
    const request = requestMessageSchema.parse({
      ...(fixtures.request() as object),
      cache: { ttlSeconds: 60 },
    });
    expect(decideCache(request, { cache: { mode: 'off' } })).toMatchObject({
      read: false,
      write: false,
      reason: 'off',
    });
    const readOnly = decideCache(request, { cache: { mode: 'read-only' } });
    expect(readOnly).toMatchObject({ read: true, write: false, ttlSeconds: 60 });
  });

  it.each<[string, number | undefined, number | undefined, number]>([
    ['the request’s when shorter than the tenant’s', 5, 9, 5],
    ['the tenant’s when shorter than the request’s', 90, 9, 9],
    ['the request’s alone', 5, undefined, 5],
    ['the tenant’s alone', undefined, 9, 9],
    ['24 h when neither sets one', undefined, undefined, 86_400],
  ])('TTL: %s', (_n, requestTtl, tenantTtl, ttl) => {
    const cache = requestTtl ? { cache: { ttlSeconds: requestTtl } } : {};
    const tenant = { cache: tenantTtl ? { ttlSeconds: tenantTtl } : {} };
    expect(decideCache({ body, ...cache }, tenant).ttlSeconds).toBe(ttl);
  });

  it.each<[string, boolean | undefined, boolean | undefined, boolean]>([
    ['on when both are silent', undefined, undefined, true],
    ['off when the request says false', false, undefined, false],
    ['off when the tenant says false', undefined, false, false],
    ['off when the request says true but the tenant false', true, false, false],
    ['on when both say true', true, true, true],
  ])('semantic reuse: %s', (_n, requestSemantic, tenantSemantic, semantic) => {
    const cache = requestSemantic === undefined ? {} : { cache: { semantic: requestSemantic } };
    const tenant = { cache: tenantSemantic === undefined ? {} : { semantic: tenantSemantic } };
    expect(decideCache({ body, ...cache }, tenant).semantic).toBe(semantic);
  });

  it.each([
    ['temperature 0.7', { temperature: 0.7 }, undefined, false],
    ['top_p 0.9', { top_p: 0.9 }, undefined, false],
    ['temperature 0.7 with a seed', { temperature: 0.7, seed: 1 }, undefined, true],
    [
      'temperature 0.7 declared cacheable',
      { temperature: 0.7 },
      { mode: 'read-write' as const, cacheable: true },
      true,
    ],
    ['temperature 0', { temperature: 0 }, undefined, true],
    ['no sampling parameters', {}, undefined, true],
  ])('sampling opt-out: %s → cached %s', (_n, patch, cache, cached) => {
    const d = decideCache({
      body: { ...body, temperature: undefined, ...patch },
      ...(cache ? { cache } : {}),
    });
    expect(d.read && d.write).toBe(cached);
    if (!cached) expect(d.reason).toBe('sampling');
  });

  it.each([
    ['read-write', true, true],
    ['read-only', true, false],
    ['write-only', false, true],
    ['off', false, false],
  ] as const)('%s → read %s write %s', (mode, read, write) => {
    expect(decideCache({ cache: { mode } })).toMatchObject({ read, write });
  });
});

describe('prepareRequest', () => {
  it('expires a request already past its deadline', async () => {
    const out = await prepareRequest(
      { ...base, deadlineAt: '2026-11-22T10:00:00.500Z' },
      { cache: mapCache(), clock },
    );
    expect(out.kind === 'complete' && out.result.status).toBe('expired');
  });
  it('sends a miss to dispatch with its cache key', async () => {
    const out = await prepareRequest(base, { cache: mapCache(), clock });
    expect(out).toMatchObject({ kind: 'dispatch', cacheKey: exactCacheKey(base.body) });
    if (out.kind !== 'dispatch') return;
    // Without a registry the named model runs as is; the baseline is priced on it.
    expect(out.request.body.model).toBe(base.body.model);
    expect(out.plan).toMatchObject({
      baselineModel: base.body.model,
      routing: { mode: 'explicit', model: base.body.model },
      tokens: { original: expect.any(Number), optimized: expect.any(Number) },
    });
  });
  it('answers a hit at zero cost with the original cost as baseline', async () => {
    const cache = mapCache();
    await cache.set(
      base.tenantId,
      exactCacheKey(base.body),
      { ...answer, model: 'gpt-4o-mini', provider: 'openai', costUsd: 0.00045, cachedAt: 'x' },
      60,
    );
    const out = await prepareRequest(base, { cache, clock });
    expect(out.kind).toBe('complete');
    if (out.kind === 'complete')
      expect(out.result).toMatchObject({
        status: 'succeeded',
        cacheTier: 'exact',
        costUsd: 0,
        baselineCostUsd: 0.00045,
      });
  });
  it('never serves another tenant’s entry', async () => {
    const cache = mapCache();
    await cache.set(
      'other_tenant',
      exactCacheKey(base.body),
      { ...answer, model: 'gpt-4o-mini', provider: 'openai', costUsd: 1, cachedAt: 'x' },
      60,
    );
    expect((await prepareRequest(base, { cache, clock })).kind).toBe('dispatch');
  });
  it('never serves or fills a cache its tenant turned off, whatever the request sends', async () => {
    const cache = mapCache();
    await cache.set(
      base.tenantId,
      exactCacheKey(base.body),
      { ...answer, model: 'gpt-4o-mini', provider: 'openai', costUsd: 1, cachedAt: 'x' },
      60,
    );
    const tenantOff = { policy: { cache: { mode: 'off' as const }, routing: {} }, registry: [] };
    for (const control of [{ ttlSeconds: 60 }, { mode: 'read-write' as const }]) {
      const request = requestMessageSchema.parse({
        ...(fixtures.request() as object),
        cache: control,
      });
      const out = await prepareRequest(request, { cache, clock }, {}, tenantOff);
      expect(out).toMatchObject({ kind: 'dispatch', cacheKey: null, trace: { exact: 'skip' } });
    }
  });
  it('skips reading when cache control is write-only', async () => {
    const cache = mapCache();
    await cache.set(
      base.tenantId,
      exactCacheKey(base.body),
      { ...answer, model: 'gpt-4o-mini', provider: 'openai', costUsd: 1, cachedAt: 'x' },
      60,
    );
    expect(
      (await prepareRequest({ ...base, cache: { mode: 'write-only' } }, { cache, clock })).kind,
    ).toBe('dispatch');
  });
});

describe('dispatchRequest', () => {
  const input = {
    request: base,
    cacheKey: 'k',
    attempt: 1,
    isFinalAttempt: false,
    timeoutMs: 1000,
    timings: {},
  };
  it('succeeds, prices the call and fills the cache', async () => {
    const cache = mapCache();
    const out = await dispatchRequest(input, {
      provider: provider(async () => answer),
      cache,
      clock,
    });
    expect(out.kind === 'complete' && out.result).toMatchObject({
      status: 'succeeded',
      costUsd: costOf('gpt-4o-mini', answer.usage),
      attempts: 1,
    });
    expect(cache.entries.size).toBe(1);
  });
  it('asks for a retry on a retryable error before the last attempt', async () => {
    const err = new AppError('provider_error', '500 from provider');
    const out = await dispatchRequest(input, {
      provider: provider(async () => {
        throw err;
      }),
      cache: mapCache(),
      clock,
    });
    expect(out).toEqual({ kind: 'retry', error: err });
  });
  it.each([
    ['retryable on the last attempt', new AppError('provider_error', 'boom'), true],
    ['non-retryable at once', new AppError('invalid_request', 'bad model'), false],
  ])('ends in a failed result when %s', async (_c, err, isFinalAttempt) => {
    const out = await dispatchRequest(
      { ...input, isFinalAttempt },
      {
        provider: provider(async () => {
          throw err;
        }),
        cache: mapCache(),
        clock,
      },
    );
    expect(out.kind === 'complete' && out.result).toMatchObject({
      status: 'failed',
      error: { code: err.code },
    });
  });
});

describe('costOf', () => {
  it.each([
    ['gpt-4o-mini', 1_000_000, 1_000_000, 0.75],
    ['gpt-4o', 1000, 0, 0.0025],
    ['unknown-model', 1000, 1000, 0],
  ])('%s %i in %i out → $%f', (model, promptTokens, completionTokens, usd) => {
    expect(costOf(model, { promptTokens, completionTokens })).toBeCloseTo(usd, 10);
  });
});
