import { describe, expect, it } from 'vitest';
import { candidateModels, parseFallbackChains, pickModel } from './fallback.policy';

const chains = { 'gpt-4o': ['gpt-4.1', 'gpt-4o-mini'], 'gpt-4.1': ['gpt-4o'] };

describe('candidateModels', () => {
  it.each([
    ['gpt-4o', ['gpt-4o', 'gpt-4.1', 'gpt-4o-mini']],
    ['gpt-4.1', ['gpt-4.1', 'gpt-4o']],
    ['other', ['other']],
  ])('%s → %j', (model, expected) => {
    expect(candidateModels(model, chains)).toEqual(expected);
  });
});

describe('pickModel', () => {
  it.each([
    ['all closed → planned', [], [], { model: 'gpt-4o' }],
    [
      'planned open → first fallback, circuit-open',
      ['gpt-4o'],
      [],
      { model: 'gpt-4.1', fallbackReason: 'circuit-open' },
    ],
    [
      'planned failed (skipped) → first fallback, provider-error',
      [],
      ['gpt-4o'],
      { model: 'gpt-4.1', fallbackReason: 'provider-error' },
    ],
    [
      'two open → second fallback',
      ['gpt-4o', 'gpt-4.1'],
      [],
      { model: 'gpt-4o-mini', fallbackReason: 'circuit-open' },
    ],
    ['every breaker open → null', ['gpt-4o', 'gpt-4.1', 'gpt-4o-mini'], [], null],
  ] as const)('%s', (_name, open, skip, expected) => {
    const openSet = new Set<string>(open);
    expect(pickModel('gpt-4o', chains, (m) => !openSet.has(m), new Set(skip))).toEqual(expected);
  });
});

describe('parseFallbackChains', () => {
  it('parses an object of arrays, and empty as none', () => {
    expect(parseFallbackChains('{"a":["b"]}')).toEqual({ a: ['b'] });
    expect(parseFallbackChains('')).toEqual({});
  });
  it.each(['[]', '{"a":"b"}', '{"a":[1]}', '{"a":[""]}'])('rejects %s', (json) => {
    expect(() => parseFallbackChains(json)).toThrow(/FALLBACK_CHAINS/);
  });
});
