import { describe, expect, it } from 'vitest';
import { fixtures, requestMessageSchema, type RequestMessage } from '@asahi/contracts';
import type { FeatureReader, TemplateReader } from '../enrichment/index';
import type { CachedAnswer, Embedder, ExactCache, VectorIndex, VectorMatch } from '../ports';
import { REGISTRY } from '../routing/test-registry.fixture';
import { canonicalCacheKey, requestCacheKey } from './cache-keys';
import { prepareRequest, type PrepareContext, type PreparePorts } from './prepare.stage';

const base = requestMessageSchema.parse(fixtures.request());
const NOW = Date.parse('2026-11-22T10:00:01.000Z');
const clock = { now: () => NOW };
const ask = (content: string, patch: Partial<RequestMessage> = {}): RequestMessage => ({
  ...base,
  ...patch,
  body: { model: 'gpt-4o', messages: [{ role: 'user', content }], max_tokens: 64, ...patch.body },
});

/** Port fakes for the pure stage; the Redis and vector adapters have integration tests. */
function mapCache(): ExactCache & { entries: Map<string, CachedAnswer> } {
  const entries = new Map<string, CachedAnswer>();
  return {
    entries,
    get: async (t, k) => entries.get(`${t}|${k}`) ?? null,
    set: async (t, k, v) => void entries.set(`${t}|${k}`, v),
  };
}
const answer = (content: string, baselineCostUsd = 0.01): CachedAnswer => ({
  output: { id: 'c', model: 'gpt-4o', content, finishReason: 'stop' },
  usage: { promptTokens: 10, completionTokens: 20, totalTokens: 30 },
  model: 'gpt-4o',
  provider: 'openai',
  costUsd: baselineCostUsd,
  baselineCostUsd,
  cachedAt: 'x',
});

/** An embedder that maps known texts to fixed vectors, and an index that returns set matches. */
function semanticFakes(matches: VectorMatch[], delayMs = 0) {
  const upserts: string[] = [];
  const embedder: Embedder = {
    name: 'fake',
    dimensions: 2,
    embed: async (texts) => {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return texts.map(() => new Float32Array([1, 0]));
    },
  };
  const index: VectorIndex = {
    name: 'fake',
    upsert: async (_ns, entries) => void upserts.push(...entries.map((e) => e.id)),
    query: async (ns) => (ns === base.tenantId ? matches : []),
    delete: async () => undefined,
  };
  return { semantic: { embedder, index, budgetMs: 20 }, upserts };
}

const autopilot: PrepareContext = {
  policy: { cache: {}, routing: { mode: 'autopilot' } },
  registry: REGISTRY,
};
const explicit: PrepareContext = { policy: { cache: {}, routing: {} }, registry: REGISTRY };

describe('prepareRequest: cache tiers, cheapest first', () => {
  it('serves an exact hit at zero cost, with the whole baseline saved by the cache', async () => {
    const cache = mapCache();
    const request = ask('What is the capital of Japan?');
    await cache.set(base.tenantId, requestCacheKey(request, 'safe'), answer('Tokyo.', 0.02), 60);
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
    const key = canonicalCacheKey(first, 'safe') ?? requestCacheKey(first, 'safe');
    await cache.set(base.tenantId, key, answer('Tokyo.'), 60);
    const retyped = ask('  what is the CAPITAL of japan ??  ');
    expect(canonicalCacheKey(retyped, 'safe')).toBe(key);
    const out = await prepareRequest(retyped, { cache, clock }, {}, explicit);
    expect(out).toMatchObject({ kind: 'complete', result: { cacheTier: 'canonical' } });
  });

  it('serves a semantic hit only when the policy accepts the neighbour', async () => {
    const cache = mapCache();
    await cache.set(base.tenantId, 'k-prev', answer('Learn by building.'), 60);
    const match = (text: string): VectorMatch => ({
      id: 'k-prev',
      score: 0.97,
      metadata: { scope: '', text, cacheKey: 'k-prev' },
    });
    const query = ask('How can I make my houseplants grow faster?');
    // The scope must be the query's own: compute it the way the stage does.
    const { semanticScope } = await import('./cache-keys');
    const scope = semanticScope(query, 'safe');
    const same = {
      ...match('How do I make my houseplants grow faster?'),
      metadata: { ...match('').metadata, text: 'How do I make my houseplants grow faster?', scope },
    };
    const { semantic } = semanticFakes([same]);
    const hit = await prepareRequest(query, { cache, clock, semantic }, {}, explicit);
    expect(hit).toMatchObject({ kind: 'complete', result: { cacheTier: 'semantic' } });

    const otherScope = semanticFakes([{ ...same, metadata: { ...same.metadata, scope: 'other' } }]);
    const miss = await prepareRequest(
      query,
      { cache, clock, semantic: otherScope.semantic },
      {},
      explicit,
    );
    expect(miss.kind).toBe('dispatch');
  });

  it('rejects a near-miss with swapped roles even at high similarity', async () => {
    const cache = mapCache();
    await cache.set(base.tenantId, 'k-prev', answer('Flights NY→FL'), 60);
    const query = ask('Cheap flights from Florida to New York');
    const { semanticScope } = await import('./cache-keys');
    const { semantic, upserts } = semanticFakes([
      {
        id: 'k-prev',
        score: 0.99,
        metadata: {
          scope: semanticScope(query, 'safe'),
          text: 'Cheap flights from New York to Florida',
          cacheKey: 'k-prev',
        },
      },
    ]);
    const out = await prepareRequest(query, { cache, clock, semantic }, {}, explicit);
    expect(out.kind).toBe('dispatch');
    expect(out.trace.semantic).toBe('miss');
    // The miss is remembered under its own exact key, for later paraphrases.
    expect(upserts).toEqual([requestCacheKey(query, 'safe')]);
  });

  it('goes on with tier 1 only when the embedder is slower than the budget, and remembers later', async () => {
    const { semantic, upserts } = semanticFakes([], 100);
    const request = ask('Hello there');
    const out = await prepareRequest(request, { cache: mapCache(), clock, semantic }, {}, explicit);
    expect(out).toMatchObject({ kind: 'dispatch', trace: { semantic: 'timeout' } });
    expect(upserts).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    expect(upserts).toEqual([requestCacheKey(request, 'safe')]);
  });

  it('never looks at the semantic tier for a multi-turn request', async () => {
    const { semantic } = semanticFakes([]);
    const multi = ask('x', {
      body: {
        model: 'gpt-4o',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
          { role: 'user', content: 'And then?' },
        ],
      },
    });
    const out = await prepareRequest(multi, { cache: mapCache(), clock, semantic }, {}, explicit);
    expect(out.trace.semantic).toBe('skip');
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
    await cache.set(base.tenantId, requestCacheKey(sampled, 'safe'), answer('old poem'), 60);
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
    expect(out.cacheKey).toBe(requestCacheKey(messy, 'safe'));
    expect(out.plan.aliasKeys).toEqual([canonicalCacheKey(messy, 'safe')]);
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

describe('cache keys', () => {
  const doc = {
    input: 'A long document.',
    steps: [{ id: 's', template: 'Summarize {{input}}', dependsOn: [] }],
  };
  it.each([
    ['declared steps', { steps: doc }],
    ['a non-explicit routing policy', { routing: { mode: 'autopilot' as const } }],
  ])('%s change the exact key of an otherwise equal request', (_n, patch) => {
    const plain = ask('Same body');
    expect(requestCacheKey({ ...plain, ...patch }, 'safe')).not.toBe(
      requestCacheKey(plain, 'safe'),
    );
  });
  it('explicit routing and safe optimization keep the plain body key', () => {
    const plain = ask('Same body');
    expect(requestCacheKey({ ...plain, routing: { mode: 'explicit' } }, 'safe')).toBe(
      requestCacheKey(plain, 'off'),
    );
  });
});

describe('canonical tier and code', () => {
  it('never serves code from the canonical form, where case matters', async () => {
    const cache = mapCache();
    const first = ask('Fix this Python: def Foo(x): return X + 1');
    const key = canonicalCacheKey(first, 'safe');
    if (key) await cache.set(base.tenantId, key, answer('fixed'), 60);
    const retyped = ask('fix this python: def foo(x): return x + 1');
    const out = await prepareRequest(retyped, { cache, clock }, {}, explicit);
    expect(out.trace.taskType).toBe('code');
    expect(out.kind).toBe('dispatch');
    if (out.kind === 'dispatch') expect(out.plan.aliasKeys).toEqual([]);
  });
});
