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
