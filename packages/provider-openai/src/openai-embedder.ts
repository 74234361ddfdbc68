import type OpenAI from 'openai';
import { AppError } from '@asahi/errors';
import type { Embedder } from '@asahi/stages';
import { toProviderError } from './openai-chat.provider';

/** Native output sizes of OpenAI's embedding models (before any `dimensions` shortening). */
const NATIVE_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** OpenAI accepts at most 2048 inputs per request. */
const MAX_BATCH = 2048;

export interface OpenAiEmbedderOptions {
  /** An `openai` client; its baseURL may point at any compatible endpoint (the simulator). */
  client: OpenAI;
  model: string;
  /** Shortened output size (text-embedding-3 models); required for models not listed above. */
  dimensions?: number;
  /** Inputs per request, at most 2048 (default 512, to keep request bodies moderate). */
  batchSize?: number;
  /** Per-request timeout; defaults to the client's. */
  timeoutMs?: number;
  name?: string;
}

/**
 * The Embedder port over `client.embeddings.create`. Vectors are decoded by the SDK (it asks for
 * base64 and returns floats), then renormalised, so cosine = dot product even with `dimensions`
 * shortening. Errors are mapped like chat errors (`toProviderError`).
 */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const dimensions = options.dimensions ?? NATIVE_DIMENSIONS[options.model];
  if (dimensions === undefined)
    throw new AppError(
      'invalid_request',
      `Unknown output size of embedding model ${options.model}: pass dimensions`,
      { retryable: false },
    );
  const batchSize = Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? 512));
  const embedBatch = async (input: string[]): Promise<Float32Array[]> => {
    try {
      const response = await options.client.embeddings.create(
        {
          model: options.model,
          input,
          ...(options.dimensions !== undefined ? { dimensions: options.dimensions } : {}),
        },
        options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : undefined,
      );
      return toVectors(response, input.length, dimensions);
    } catch (err) {
      throw toProviderError(err);
    }
  };
  return {
    name: options.name ?? `openai:${options.model}`,
    dimensions,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize)
        out.push(...(await embedBatch(texts.slice(i, i + batchSize))));
      return out;
    },
  };
}

function toVectors(
  response: OpenAI.CreateEmbeddingResponse,
  expected: number,
  dimensions: number,
): Float32Array[] {
  const data = response.data ?? [];
  const vectors: Float32Array[] = new Array(expected);
  for (const item of data) {
    if (item.index < 0 || item.index >= expected || item.embedding.length !== dimensions)
      throw new AppError('provider_bad_response', 'Embedding response does not match the request');
    vectors[item.index] = unit(item.embedding);
  }
  // A loop, not `some`: `some` skips the holes of a sparse array.
  let missing = data.length !== expected;
  for (let i = 0; i < expected; i += 1) missing ||= vectors[i] === undefined;
  if (missing)
    throw new AppError(
      'provider_bad_response',
      `Expected ${expected} embeddings, got ${data.length}`,
    );
  return vectors;
}

function unit(values: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += (values[i] ?? 0) ** 2;
  const norm = Math.sqrt(sum) || 1;
  return Float32Array.from(values as ArrayLike<number>, (v) => v / norm);
}
