import type { TaskType } from './optimization';

/** Prices per 1M tokens in USD. Realtime prices; the Batch API charges `batchDiscount` of them. */
export interface ModelInfo {
  id: string;
  provider: 'openai';
  kind: 'chat' | 'embedding';
  inputPer1M: number;
  outputPer1M: number;
  contextWindow: number;
  /** tiktoken encoding the provider counts with. */
  encoding: 'o200k_base' | 'cl100k_base';
}

export const BATCH_DISCOUNT = 0.5;

export const MODEL_CATALOG: readonly ModelInfo[] = [
  {
    id: 'gpt-4o-mini',
    provider: 'openai',
    kind: 'chat',
    inputPer1M: 0.15,
    outputPer1M: 0.6,
    contextWindow: 128_000,
    encoding: 'o200k_base',
  },
  {
    id: 'gpt-4o',
    provider: 'openai',
    kind: 'chat',
    inputPer1M: 2.5,
    outputPer1M: 10,
    contextWindow: 128_000,
    encoding: 'o200k_base',
  },
  {
    id: 'gpt-4.1',
    provider: 'openai',
    kind: 'chat',
    inputPer1M: 2,
    outputPer1M: 8,
    contextWindow: 1_047_576,
    encoding: 'o200k_base',
  },
  {
    id: 'gpt-4.1-mini',
    provider: 'openai',
    kind: 'chat',
    inputPer1M: 0.4,
    outputPer1M: 1.6,
    contextWindow: 1_047_576,
    encoding: 'o200k_base',
  },
  {
    id: 'gpt-4.1-nano',
    provider: 'openai',
    kind: 'chat',
    inputPer1M: 0.1,
    outputPer1M: 0.4,
    contextWindow: 1_047_576,
    encoding: 'o200k_base',
  },
  {
    id: 'gpt-3.5-turbo',
    provider: 'openai',
    kind: 'chat',
    inputPer1M: 0.5,
    outputPer1M: 1.5,
    contextWindow: 16_385,
    encoding: 'cl100k_base',
  },
  {
    // A reasoning model: no temperature/top_p/penalties, `max_completion_tokens` instead of
    // `max_tokens` (see the 'sampling' capability in ModelProfile).
    id: 'o4-mini',
    provider: 'openai',
    kind: 'chat',
    inputPer1M: 1.1,
    outputPer1M: 4.4,
    contextWindow: 200_000,
    encoding: 'o200k_base',
  },
  {
    id: 'text-embedding-3-small',
    provider: 'openai',
    kind: 'embedding',
    inputPer1M: 0.02,
    outputPer1M: 0,
    contextWindow: 8_191,
    encoding: 'cl100k_base',
  },
  {
    id: 'text-embedding-3-large',
    provider: 'openai',
    kind: 'embedding',
    inputPer1M: 0.13,
    outputPer1M: 0,
    contextWindow: 8_191,
    encoding: 'cl100k_base',
  },
];

export function findModel(id: string): ModelInfo | undefined {
  return MODEL_CATALOG.find((m) => m.id === id);
}

/**
 * What a model capability flag means to routing:
 *  - json: JSON mode / structured outputs;  tools: function calling;  vision: image input;
 *  - long-context: a window above 128k tokens;  reasoning: a reasoning model (thinks before answering);
 *  - sampling: accepts the classic sampling parameters (temperature, top_p, penalties, max_tokens).
 *    Reasoning models lack it, so routing never sends them a request that sets those.
 */
export const MODEL_CAPABILITIES = [
  'json',
  'tools',
  'vision',
  'long-context',
  'reasoning',
  'sampling',
] as const;
export type ModelCapability = (typeof MODEL_CAPABILITIES)[number];

/**
 * One row of the model registry (PostgreSQL `model_registry`, read by @asahi/db), as plain data:
 * what routing chooses from. Prices are USD per 1M tokens, realtime and through the Batch API.
 * `quality` scores each task type in [0, 1] (see packages/db/README.md for their source).
 */
export interface ModelProfile {
  id: string;
  provider: string;
  kind: 'chat' | 'embedding';
  inputPer1M: number;
  outputPer1M: number;
  batchInputPer1M: number;
  batchOutputPer1M: number;
  contextWindow: number;
  /** Usually ModelCapability values; unknown strings are kept, not rejected. */
  capabilities: string[];
  quality: Record<TaskType, number>;
  typicalLatencyMs: number;
  enabled: boolean;
}
