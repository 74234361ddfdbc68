import type { ChatOutput, ChatRequest, Usage } from '@asahi/contracts';

/** A cached answer: the provider's output plus what it cost the first time. */
export interface CachedAnswer {
  output: ChatOutput;
  usage: Usage;
  model: string;
  provider: string;
  costUsd: number;
  /** What the first request would have cost without Asahi (realtime, unoptimized). */
  baselineCostUsd?: number;
  cachedAt: string;
}

/** Tier-1 exact cache. Implementations must scope every key by tenant. */
export interface ExactCache {
  get(tenantId: string, key: string): Promise<CachedAnswer | null>;
  set(tenantId: string, key: string, answer: CachedAnswer, ttlSeconds: number): Promise<void>;
}

export interface ProviderAnswer {
  output: ChatOutput;
  usage: Usage;
}

/** An LLM provider for chat completions. Errors are AppErrors with provider_* codes. */
export interface ChatProvider {
  readonly name: string;
  complete(body: ChatRequest, options: { timeoutMs: number }): Promise<ProviderAnswer>;
}

export interface Clock {
  now(): number;
}

/** Turns texts into unit-length vectors of a fixed dimension (cosine = dot product). */
export interface Embedder {
  readonly name: string;
  readonly dimensions: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

export type VectorMetadata = Record<string, string | number | boolean>;

export interface VectorEntry {
  id: string;
  vector: Float32Array;
  metadata: VectorMetadata;
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity in [-1, 1]. */
  score: number;
  metadata: VectorMetadata;
}

/**
 * Nearest-neighbour index. `namespace` is the tenant id: adapters keep every namespace apart
 * (Pinecone namespaces, separate Redis keys), so a query never sees another tenant's entries.
 */
export interface VectorIndex {
  readonly name: string;
  upsert(
    namespace: string,
    entries: VectorEntry[],
    options?: { ttlSeconds?: number },
  ): Promise<void>;
  query(
    namespace: string,
    vector: Float32Array,
    options: { topK: number; minScore?: number },
  ): Promise<VectorMatch[]>;
  delete(namespace: string, ids: string[]): Promise<void>;
}
