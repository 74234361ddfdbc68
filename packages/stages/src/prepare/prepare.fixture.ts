import { fixtures, requestMessageSchema, type RequestMessage } from '@asahi/contracts';
import type { CachedAnswer, Embedder, ExactCache, VectorIndex, VectorMatch } from '../ports';
import { REGISTRY } from '../routing/test-registry.fixture';
import type { PrepareContext } from './prepare.stage';

/** Shared by the prepare stage's unit tests: requests, contexts and fakes of our own ports. */

export const base = requestMessageSchema.parse(fixtures.request());
export const NOW = Date.parse('2026-11-22T10:00:01.000Z');
export const clock = { now: () => NOW };

export const ask = (content: string, patch: Partial<RequestMessage> = {}): RequestMessage => ({
  ...base,
  ...patch,
  body: { model: 'gpt-4o', messages: [{ role: 'user', content }], max_tokens: 64, ...patch.body },
});

/** A request whose body is the given conversation. */
export const converse = (
  messages: RequestMessage['body']['messages'],
  patch: Partial<RequestMessage> = {},
): RequestMessage => ask('', { ...patch, body: { model: 'gpt-4o', max_tokens: 64, messages } });

export const autopilot: PrepareContext = {
  policy: { cache: {}, routing: { mode: 'autopilot' } },
  registry: REGISTRY,
};
export const explicit: PrepareContext = { policy: { cache: {}, routing: {} }, registry: REGISTRY };

/** The exact cache as a map; the Redis adapter has integration tests. */
export function mapCache(): ExactCache & { entries: Map<string, CachedAnswer> } {
  const entries = new Map<string, CachedAnswer>();
  return {
    entries,
    get: async (t, k) => entries.get(`${t}|${k}`) ?? null,
    set: async (t, k, v) => void entries.set(`${t}|${k}`, v),
  };
}

export const answer = (content: string, baselineCostUsd = 0.01): CachedAnswer => ({
  output: { id: 'c', model: 'gpt-4o', content, finishReason: 'stop' },
  usage: { promptTokens: 10, completionTokens: 20, totalTokens: 30 },
  model: 'gpt-4o',
  provider: 'openai',
  costUsd: baselineCostUsd,
  baselineCostUsd,
  cachedAt: 'x',
});

export interface SemanticFakeOptions {
  /** Cosine the index reports for every stored entry (the embedder gives all texts one vector). */
  score?: number;
  /** Matches returned besides the stored entries, in the base tenant's namespace. */
  matches?: VectorMatch[];
  delayMs?: number;
  /** Which port rejects. */
  failing?: 'embedder' | 'index';
}

/**
 * An embedder that maps every text to one vector, and an index that keeps what is upserted per
 * namespace and returns it at a set score: which neighbour is served is then up to the stage's
 * scope and decision policy alone. The vector adapters have their own integration tests.
 */
export function semanticFakes(options: SemanticFakeOptions = {}) {
  const { score = 0.97, matches = [], delayMs = 0, failing } = options;
  const stored: Array<{ namespace: string; match: VectorMatch }> = [];
  const upserts: string[] = [];
  const embedder: Embedder = {
    name: 'fake',
    dimensions: 2,
    embed: async (texts) => {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (failing === 'embedder') throw new Error('embedder unavailable');
      return texts.map(() => new Float32Array([1, 0]));
    },
  };
  const index: VectorIndex = {
    name: 'fake',
    upsert: async (namespace, entries) => {
      for (const { id, metadata } of entries) {
        upserts.push(id);
        stored.push({ namespace, match: { id, score, metadata } });
      }
    },
    query: async (namespace) => {
      if (failing === 'index') throw new Error('index unavailable');
      const own = stored.filter((s) => s.namespace === namespace).map((s) => s.match);
      return [...(namespace === base.tenantId ? matches : []), ...own];
    },
    delete: async () => undefined,
  };
  return { semantic: { embedder, index, budgetMs: 20 }, upserts };
}
