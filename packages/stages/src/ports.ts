import type { ChatOutput, ChatRequest, Usage } from '@asahi/contracts';

/** A cached answer: the provider's output plus what it cost the first time. */
export interface CachedAnswer {
  output: ChatOutput;
  usage: Usage;
  model: string;
  provider: string;
  costUsd: number;
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
