import { describe, expect, it } from 'vitest';
import type { FeatureReader, TemplateReader } from '../enrichment/index';
import { canonicalCacheKey, requestCacheKey } from './cache-keys';
import { answer, ask, autopilot, base, clock, explicit, mapCache } from './prepare.fixture';
import { prepareRequest, type PreparePorts } from './prepare.stage';

const P = explicit.policy;

describe('prepareRequest: cache tiers, cheapest first', () => {
  it('serves an exact hit at zero cost, with the whole baseline saved by the cache', async () => {
    const cache = mapCache();
    const request = ask('What is the capital of Japan?');
    await cache.set(base.tenantId, requestCacheKey(request, 'safe', P), answer('Tokyo.', 0.02), 60);
    const out = await prepareRequest(request, { cache, clock }, {}, explicit);
    expect(out).toMatchObject({
      kind: 'complete',
      cacheHit: true,
      result: { cacheTier: 'exact', costUsd: 0, baselineCostUsd: 0.02, savings: { cache: 0.02 } },
      trace: { exact: 'hit' },
    });
  });

  it('serves a trivially retyped question from the canonical-form key', async () => {
    const cache = mapCache();
    const first = ask('What is the capital of Japan?');
    const key = canonicalCacheKey(first, 'safe', P) ?? requestCacheKey(first, 'safe', P);
    await cache.set(base.tenantId, key, answer('Tokyo.'), 60);
    const retyped = ask('  what is the CAPITAL of japan ??  ');
    expect(canonicalCacheKey(retyped, 'safe', P)).toBe(key);
    const out = await prepareRequest(retyped, { cache, clock }, {}, explicit);
    expect(out).toMatchObject({ kind: 'complete', result: { cacheTier: 'canonical' } });
  });

  it('does not read or write any tier for a sampling request', async () => {
    const cache = mapCache();
    const sampled = ask('Write a poem', {
      body: {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Write a poem' }],
        temperature: 0.9,
      },
    });
    await cache.set(base.tenantId, requestCacheKey(sampled, 'safe', P), answer('old poem'), 60);
    const out = await prepareRequest(sampled, { cache, clock }, {}, explicit);
    expect(out).toMatchObject({ kind: 'dispatch', cacheKey: null, trace: { exact: 'skip' } });
  });
});

describe('prepareRequest: optimization and routing', () => {
  it('autopilot routes a classification to a cheaper model and keeps the baseline model', async () => {
    const out = await prepareRequest(
      ask(
        'Classify the sentiment of this review as positive or negative: "Great phone, battery lasts days."',
      ),
      { cache: mapCache(), clock },
      {},
      autopilot,
    );
    if (out.kind !== 'dispatch') throw new Error('expected dispatch');
    expect(out.plan.routing).toMatchObject({
      mode: 'autopilot',
      taskType: 'classification',
      requestedModel: 'gpt-4o',
    });
    expect(out.request.body.model).toBe(out.plan.routing?.model);
    expect(out.request.body.model).not.toBe('gpt-4o');
    expect(out.plan.baselineModel).toBe('gpt-4o');
  });

  it('fails an explicit request for a model the registry does not know', async () => {
    const out = await prepareRequest(
      ask('Hi', { body: { model: 'gpt-9', messages: [{ role: 'user', content: 'Hi' }] } }),
      { cache: mapCache(), clock },
      {},
      explicit,
    );
    expect(out).toMatchObject({
      kind: 'complete',
      result: { status: 'failed', error: { code: 'unknown_model' } },
    });
  });

  it('records original and optimized prompt tokens and caches under both keys', async () => {
    const messy = ask('What   is\n\n\n\nthe capital   of Japan?   ');
    const out = await prepareRequest(messy, { cache: mapCache(), clock }, {}, explicit);
    if (out.kind !== 'dispatch') throw new Error('expected dispatch');
    expect(out.plan.tokens!.optimized).toBeLessThan(out.plan.tokens!.original);
    expect(out.cacheKey).toBe(requestCacheKey(messy, 'safe', P));
    expect(out.plan.aliasKeys).toEqual([canonicalCacheKey(messy, 'safe', P)]);
  });

  it('leaves the prompt alone when optimization is off', async () => {
    const messy = ask('What   is the capital   of Japan?', { optimization: 'off' });
    const out = await prepareRequest(messy, { cache: mapCache(), clock }, {}, explicit);
    if (out.kind !== 'dispatch') throw new Error('expected dispatch');
    expect(out.request.body.messages).toEqual(messy.body.messages);
    expect(out.plan.tokens!.optimized).toBe(out.plan.tokens!.original);
  });
});

describe('prepareRequest: enrichment', () => {
  const templates: TemplateReader = {
    getTemplate: async (tenant, id) =>
      tenant === base.tenantId && id === 'support'
        ? { template: 'Customer plan: {{user.plan}}.', features: ['user.plan'] }
        : null,
  };
  const features = (plan: string): FeatureReader => ({
    getFeatures: async () => ({ plan }),
  });
  const enrichedAsk = ask('How do I upgrade?', {
    enrichment: { templateId: 'support', entities: { user: 'u1' }, variables: {} },
  });
  const portsWith = (plan: string): PreparePorts => ({
    cache: mapCache(),
    clock,
    enrichment: { templates, features: features(plan), budgetMs: 50 },
  });

  it('injects the features, so users with different features never share a cache key', async () => {
    const gold = await prepareRequest(enrichedAsk, portsWith('gold'), {}, explicit);
    const free = await prepareRequest(enrichedAsk, portsWith('free'), {}, explicit);
    if (gold.kind !== 'dispatch' || free.kind !== 'dispatch') throw new Error('expected dispatch');
    expect(gold.trace.enrichment).toBe('applied');
    expect(gold.request.body.messages[0]).toMatchObject({
      role: 'system',
      content: expect.stringContaining('gold'),
    });
    expect(gold.cacheKey).not.toBe(free.cacheKey);
  });
});

describe('canonical tier and code', () => {
  it('never serves code from the canonical form, where case matters', async () => {
    const cache = mapCache();
    const first = ask('Fix this Python: def Foo(x): return X + 1');
    const key = canonicalCacheKey(first, 'safe', P);
    if (key) await cache.set(base.tenantId, key, answer('fixed'), 60);
    const retyped = ask('fix this python: def foo(x): return x + 1');
    const out = await prepareRequest(retyped, { cache, clock }, {}, explicit);
    expect(out.trace.taskType).toBe('code');
    expect(out.kind).toBe('dispatch');
    if (out.kind === 'dispatch') expect(out.plan.aliasKeys).toEqual([]);
  });
});
