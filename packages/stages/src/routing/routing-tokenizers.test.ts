import { fixtures, requestMessageSchema } from '@asahi/contracts';
import { describe, expect, it } from 'vitest';
import { routeRequest } from './routing.stage';
import { model, q } from './test-registry.fixture';

const base = requestMessageSchema.parse(fixtures.request());

describe('routeRequest checks each window with the prompt in that model’s tokenizer', () => {
  const registry = [
    model('gpt-3.5-turbo', [0.01, 0.01], q(1, 1, 1, 1, 1, 1, 1, 1), { contextWindow: 16_385 }),
    model('gpt-4o-mini', [0.15, 0.6], q(1, 1, 1, 1, 1, 1, 1, 1)),
  ];
  it.each([
    // [what, prompt tokens in cl100k_base (gpt-3.5-turbo), expected model]
    ['fits in its own tokenizer: the cheap 16k model', 14_000, 'gpt-3.5-turbo'],
    ['fits in o200k_base but not in its own: the next model', 17_000, 'gpt-4o-mini'],
  ])('%s', (_, cl100k, id) => {
    const outcome = routeRequest({
      request: { ...base, routing: { mode: 'autopilot' } },
      registry,
      tenant: {},
      estimatedPromptTokens: 12_000, // as counted for the requested gpt-4o (o200k_base)
      promptTokensFor: (m) => (m.id === 'gpt-3.5-turbo' ? cl100k : 12_000),
      expectedOutputTokens: 256,
    });
    expect(outcome.ok && outcome.decision.model).toBe(id);
  });
});
