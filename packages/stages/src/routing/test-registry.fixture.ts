import type { ModelProfile, TaskType } from '@asahi/contracts';

type Scores = Record<TaskType, number>;
export const q = (
  summarization: number,
  extraction: number,
  classification: number,
  translation: number,
  qa: number,
  code: number,
  reasoning: number,
  chat: number,
): Scores => ({
  summarization,
  extraction,
  classification,
  translation,
  qa,
  code,
  reasoning,
  chat,
});

export function model(
  id: string,
  [inputPer1M, outputPer1M]: [number, number],
  quality: Scores,
  over: Partial<ModelProfile> = {},
): ModelProfile {
  return {
    id,
    provider: 'openai',
    kind: 'chat',
    inputPer1M,
    outputPer1M,
    batchInputPer1M: inputPer1M / 2,
    batchOutputPer1M: outputPer1M / 2,
    contextWindow: 128_000,
    capabilities: ['json', 'tools', 'sampling'],
    quality,
    typicalLatencyMs: 600,
    enabled: true,
    ...over,
  };
}

export const LONG = 1_047_576;
/** A registry for routing tests, with the seeded figures (prisma/migrations/*_seed_model_registry). */
export const REGISTRY: ModelProfile[] = [
  model('gpt-4.1-nano', [0.1, 0.4], q(0.82, 0.81, 0.86, 0.78, 0.78, 0.62, 0.62, 0.74), {
    contextWindow: LONG,
    typicalLatencyMs: 400,
  }),
  model('gpt-4o-mini', [0.15, 0.6], q(0.86, 0.85, 0.88, 0.82, 0.82, 0.6, 0.52, 0.84), {
    typicalLatencyMs: 550,
  }),
  model('gpt-4.1-mini', [0.4, 1.6], q(0.9, 0.91, 0.92, 0.87, 0.88, 0.82, 0.81, 0.86), {
    contextWindow: LONG,
  }),
  model('gpt-3.5-turbo', [0.5, 1.5], q(0.76, 0.72, 0.8, 0.74, 0.7, 0.55, 0.4, 0.7), {
    contextWindow: 16_385,
    typicalLatencyMs: 500,
  }),
  model('gpt-4.1', [2, 8], q(0.93, 0.94, 0.94, 0.93, 0.92, 0.9, 0.82, 0.92), {
    contextWindow: LONG,
    typicalLatencyMs: 900,
  }),
  model('gpt-4o', [2.5, 10], q(0.92, 0.89, 0.92, 0.9, 0.87, 0.8, 0.6, 0.91), {
    typicalLatencyMs: 800,
  }),
  model('o4-mini', [1.1, 4.4], q(0.88, 0.91, 0.92, 0.88, 0.93, 0.95, 0.97, 0.85), {
    contextWindow: 200_000,
    capabilities: ['json', 'tools', 'reasoning'],
    typicalLatencyMs: 3500,
  }),
  model('text-embedding-3-small', [0.02, 0], q(0, 0, 0, 0, 0, 0, 0, 0), {
    kind: 'embedding',
    contextWindow: 8191,
    typicalLatencyMs: 100,
    capabilities: [],
  }),
];
