import { describe, expect, it } from 'vitest';
import type { RequestMessage } from '@asahi/contracts';
import { requestCacheKey } from './cache-keys';
import {
  answer,
  ask,
  autopilot,
  base,
  clock,
  converse,
  explicit,
  mapCache,
  semanticFakes,
  type SemanticFakeOptions,
} from './prepare.fixture';
import { prepareRequest, type PrepareContext } from './prepare.stage';

const P = explicit.policy;

/**
 * The semantic tier through `prepareRequest`: `first` is answered (its vector remembered by the
 * fake index, its answer stored under its exact key as dispatch would), then `second` is asked.
 */
async function askTwice(
  first: RequestMessage,
  second: RequestMessage,
  options: SemanticFakeOptions = {},
  context: PrepareContext = explicit,
) {
  const cache = mapCache();
  const { semantic, upserts } = semanticFakes(options);
  const out = await prepareRequest(first, { cache, clock, semantic }, {}, context);
  if (out.kind !== 'dispatch') throw new Error(`expected dispatch, got ${out.kind}`);
  await cache.set(base.tenantId, out.cacheKey!, answer('first answer'), 60);
  const again = await prepareRequest(second, { cache, clock, semantic }, {}, context);
  return { again, upserts, firstKey: out.cacheKey };
}

describe('prepareRequest: semantic tier', () => {
  it('serves a verified paraphrase in the same scope', async () => {
    const { again } = await askTwice(
      ask('How do I make my houseplants grow faster?'),
      ask('How can I make my houseplants grow faster?'),
    );
    expect(again).toMatchObject({
      kind: 'complete',
      result: { cacheTier: 'semantic' },
      trace: { semantic: 'hit', similarity: 0.97 },
    });
  });

  it.each<[string, RequestMessage, RequestMessage, PrepareContext?]>([
    [
      'another system prompt',
      ask('How do I make my houseplants grow faster?'),
      converse([
        { role: 'system', content: 'Answer in French.' },
        { role: 'user', content: 'How can I make my houseplants grow faster?' },
      ]),
    ],
    [
      'another earlier user turn (cacheable conversation)',
      converse(
        [
          { role: 'user', content: 'Write a haiku about cats' },
          { role: 'assistant', content: 'Soft paws in the sun' },
          { role: 'user', content: 'Translate it into French' },
        ],
        { cache: { cacheable: true } },
      ),
      converse(
        [
          { role: 'user', content: 'Write a haiku about dogs' },
          { role: 'assistant', content: 'Soft paws in the sun' },
          { role: 'user', content: 'Translate it into French' },
        ],
        { cache: { cacheable: true } },
      ),
    ],
    [
      'another effective routing (explicit request, autopilot tenant)',
      ask('How do I make my houseplants grow faster?'),
      ask('How can I make my houseplants grow faster?', { routing: { mode: 'explicit' } }),
      autopilot,
    ],
  ])('never serves across scopes: %s', async (_n, first, second, context) => {
    const { again } = await askTwice(first, second, { score: 0.999 }, context);
    expect(again).toMatchObject({ kind: 'dispatch', trace: { semantic: 'miss' } });
  });

  it('still serves a cacheable conversation with the same earlier turns', async () => {
    const chat = (last: string) =>
      converse(
        [
          { role: 'user', content: 'Write a haiku about cats' },
          { role: 'assistant', content: 'Soft paws in the sun' },
          { role: 'user', content: last },
        ],
        { cache: { cacheable: true } },
      );
    // Translation needs 0.985 (see DEFAULT_SEMANTIC_POLICY).
    const { again } = await askTwice(
      chat('Translate it into French'),
      chat('translate it to French'),
      { score: 0.99 },
    );
    expect(again).toMatchObject({ kind: 'complete', result: { cacheTier: 'semantic' } });
  });

  it('rejects a near-miss with swapped roles even at high similarity, and remembers it', async () => {
    const query = ask('Cheap flights from Florida to New York');
    const { again, upserts, firstKey } = await askTwice(
      ask('Cheap flights from New York to Florida'),
      query,
      { score: 0.99 },
    );
    expect(again).toMatchObject({ kind: 'dispatch', trace: { semantic: 'miss' } });
    // The miss is remembered under its own exact key, for later paraphrases.
    expect(upserts).toEqual([firstKey, requestCacheKey(query, 'safe', P)]);
  });

  it('follows the tenant: a request cannot turn semantic reuse back on', async () => {
    const tenantOff: PrepareContext = {
      ...explicit,
      policy: { cache: { semantic: false }, routing: {} },
    };
    const { again, upserts } = await askTwice(
      ask('How do I make my houseplants grow faster?', { cache: { semantic: true } }),
      ask('How can I make my houseplants grow faster?', { cache: { semantic: true } }),
      {},
      tenantOff,
    );
    expect(again.kind).toBe('dispatch');
    expect(again.trace.semantic).toBeUndefined();
    expect(upserts).toEqual([]);
  });

  it('goes on with tier 1 only when the embedder is slower than the budget, and remembers later', async () => {
    const { semantic, upserts } = semanticFakes({ delayMs: 100 });
    const request = ask('Hello there');
    const out = await prepareRequest(request, { cache: mapCache(), clock, semantic }, {}, explicit);
    expect(out).toMatchObject({ kind: 'dispatch', trace: { semantic: 'timeout' } });
    expect(upserts).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    expect(upserts).toEqual([requestCacheKey(request, 'safe', P)]);
  });

  it.each(['embedder', 'index'] as const)(
    'goes on with tier 1 only when the %s fails, and says so in the trace',
    async (failing) => {
      const cache = mapCache();
      const { semantic } = semanticFakes({ failing });
      const request = ask('How do I make my houseplants grow faster?');
      const out = await prepareRequest(request, { cache, clock, semantic }, {}, explicit);
      expect(out).toMatchObject({
        kind: 'dispatch',
        cacheKey: requestCacheKey(request, 'safe', P),
        trace: { exact: 'miss', semantic: 'error' },
      });
      expect(out.trace.semanticReason).toBeUndefined();
      // Tier 1 still answers once the answer is there.
      await cache.set(base.tenantId, requestCacheKey(request, 'safe', P), answer('x'), 60);
      const hit = await prepareRequest(request, { cache, clock, semantic }, {}, explicit);
      expect(hit).toMatchObject({ kind: 'complete', result: { cacheTier: 'exact' } });
    },
  );

  it('never looks at the semantic tier for a multi-turn request not declared cacheable', async () => {
    const { semantic } = semanticFakes();
    const multi = converse([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'And then?' },
    ]);
    const out = await prepareRequest(multi, { cache: mapCache(), clock, semantic }, {}, explicit);
    expect(out.trace).toMatchObject({ semantic: 'skip', semanticReason: 'multi-turn' });
  });
});
