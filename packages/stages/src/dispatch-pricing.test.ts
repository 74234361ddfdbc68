import { fixtures, requestMessageSchema, type ModelProfile } from '@asahi/contracts';
import { describe, expect, it } from 'vitest';
import { answerResult, type RegistrySource } from './dispatch.stage';
import type { ProviderAnswer } from './ports';
import { REGISTRY } from './routing/test-registry.fixture';

const base = requestMessageSchema.parse(fixtures.request());
const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000, totalTokens: 2_000_000 };
const ports = (registry?: RegistrySource) => ({
  cache: { get: async () => null, set: async () => undefined },
  clock: { now: () => 0 },
  ...(registry ? { registry } : {}),
});
const answered = (model: string): ProviderAnswer => ({
  output: { id: 'c', model, content: 'ok', finishReason: 'stop' },
  usage,
});
const EDITED: ModelProfile[] = REGISTRY.map((m) =>
  m.id === 'gpt-4o'
    ? { ...m, inputPer1M: 5, outputPer1M: 15, batchInputPer1M: 3, batchOutputPer1M: 6 }
    : m,
);

interface Case {
  name: string;
  requested: string;
  answeredAs: string;
  registry?: RegistrySource;
  batch?: boolean;
  cost: number;
  baseline: number;
}

describe('answerResult prices the answer with the registry, snapshots included', () => {
  it.each<Case>([
    {
      name: 'OpenAI answers a gpt-4o request as a dated snapshot: no phantom routing saving',
      requested: 'gpt-4o',
      answeredAs: 'gpt-4o-2024-08-06',
      cost: 12.5,
      baseline: 12.5,
    },
    {
      name: 'an explicit snapshot request costs its base model, baseline too',
      requested: 'gpt-4o-mini-2024-07-18',
      answeredAs: 'gpt-4o-mini-2024-07-18',
      cost: 0.75,
      baseline: 0.75,
    },
    {
      name: 'an operator’s registry edit reaches accounting',
      requested: 'gpt-4o',
      answeredAs: 'gpt-4o-2024-08-06',
      registry: async () => EDITED,
      cost: 20,
      baseline: 20,
    },
    {
      name: 'Batch API answers cost the registry’s batch columns',
      requested: 'gpt-4o',
      answeredAs: 'gpt-4o-2024-08-06',
      registry: async () => EDITED,
      batch: true,
      cost: 9,
      baseline: 20,
    },
    {
      name: 'an answering id no price list knows is billed as the asked model',
      requested: 'gpt-4o',
      answeredAs: 'gpt-4o-preview-x',
      cost: 12.5,
      baseline: 12.5,
    },
    {
      name: 'an unreadable registry falls back to the catalog',
      requested: 'gpt-4o',
      answeredAs: 'gpt-4o',
      registry: async () => {
        throw new Error('postgres down');
      },
      cost: 12.5,
      baseline: 12.5,
    },
  ])('$name', async ({ requested, answeredAs, registry, batch, cost, baseline }) => {
    const request = { ...base, body: { ...base.body, model: requested } };
    const result = await answerResult(
      {
        request,
        cacheKey: null,
        attempt: 1,
        timings: {},
        ...(batch ? { report: { execution: 'batch-api' as const, batchId: 'b1' } } : {}),
      },
      answered(answeredAs),
      ports(registry),
      { providerName: 'openai' },
    );
    expect(result.costUsd).toBeCloseTo(cost, 9);
    expect(result.baselineCostUsd).toBeCloseTo(baseline, 9);
    expect(result.savings?.routing).toBeCloseTo(0, 9);
    expect(result.savings?.batch).toBeCloseTo(baseline - cost, 9);
  });
});
