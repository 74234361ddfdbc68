import { describe, expect, it } from 'vitest';
import { countTokens, createTokenCounter, encodingForModel } from './token-count';

describe('encodingForModel', () => {
  it.each([
    ['gpt-4o-mini', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['some-unknown-model', 'o200k_base'],
  ])('%s counts with %s', (model, encoding) => expect(encodingForModel(model)).toBe(encoding));
});

describe('countTokens', () => {
  it.each([
    ['', 'gpt-4o', 0],
    ['hello world', 'gpt-4o', 2],
    ['hello world', 'gpt-3.5-turbo', 2],
    // The same text splits differently under the two vocabularies.
    ['こんにちは、世界', 'gpt-4o', 3],
    ['こんにちは、世界', 'gpt-3.5-turbo', 5],
  ])('text %j on %s is %i tokens', (text, model, expected) =>
    expect(countTokens(text, model)).toBe(expected),
  );

  it('counts special-token text as ordinary text instead of throwing', () => {
    expect(countTokens('<|endoftext|>', 'gpt-4o')).toBeGreaterThan(1);
  });

  it.each([
    // The OpenAI cookbook's example: one user message "Say this is a test" is 12 prompt tokens.
    ['one user message', [{ role: 'user' as const, content: 'Say this is a test' }], 12],
    ['an empty message still costs its overhead', [{ role: 'user' as const, content: '' }], 7],
    [
      'a name costs one token plus the name',
      [{ role: 'user' as const, content: 'Say this is a test', name: 'bob' }],
      14,
    ],
  ])('chat messages: %s', (_name, messages, expected) =>
    expect(countTokens(messages, 'gpt-4o')).toBe(expected),
  );
});

describe('createTokenCounter', () => {
  it('counts a message list as the sum of its parts plus the reply priming', () => {
    const counter = createTokenCounter('gpt-4o-mini');
    const a = { role: 'system' as const, content: 'You are terse.' };
    const b = { role: 'user' as const, content: 'Say this is a test' };
    const priming = counter.messages([]);
    expect(priming).toBe(3);
    expect(counter.messages([a, b])).toBe(counter.messages([a]) + counter.messages([b]) - priming);
    expect(counter.messages([a, b])).toBe(countTokens([a, b], 'gpt-4o-mini'));
  });
});
