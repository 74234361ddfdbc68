import { describe, expect, it } from 'vitest';
import {
  countChatPromptTokens,
  countTokens,
  decodeTokens,
  encode,
  truncateToTokens,
} from './tokens';

describe('countTokens', () => {
  it.each([
    ['hello world', 'o200k_base', 2],
    ['hello world', 'cl100k_base', 2],
    ['Say this is a test', 'o200k_base', 5],
    ['', 'o200k_base', 0],
    ['The quick brown fox jumps over the lazy dog.', 'cl100k_base', 10],
  ] as const)('%j in %s is %i tokens', (text, encoding, expected) => {
    expect(countTokens(text, encoding)).toBe(expected);
  });

  it('treats special-token text as plain text instead of throwing', () => {
    expect(countTokens('<|endoftext|>', 'cl100k_base')).toBeGreaterThan(1);
  });

  it('round-trips through encode/decode', () => {
    const text = 'Tokenizers split text — even ünïcödé — into pieces.';
    expect(decodeTokens(encode(text, 'o200k_base'), 'o200k_base')).toBe(text);
  });
});

describe('countChatPromptTokens', () => {
  it('matches what OpenAI bills for one user message (3 + role + content + 3 priming)', () => {
    expect(
      countChatPromptTokens([{ role: 'user', text: 'Say this is a test' }], 'o200k_base'),
    ).toBe(12);
    expect(countChatPromptTokens([{ role: 'user', text: 'hello world' }], 'o200k_base')).toBe(9);
  });

  it('adds the per-message overhead and names', () => {
    const one = countChatPromptTokens([{ role: 'system', text: 'Be brief.' }], 'o200k_base');
    const two = countChatPromptTokens(
      [
        { role: 'system', text: 'Be brief.' },
        { role: 'user', text: 'hello world', name: 'bob' },
      ],
      'o200k_base',
    );
    // 3 overhead + 1 role + 2 content + (1 name + 1 "bob")
    expect(two - one).toBe(8);
  });
});

describe('truncateToTokens', () => {
  it('keeps the first n tokens', () => {
    const text = 'one two three four five six';
    const cut = truncateToTokens(text, 3, 'o200k_base');
    expect(cut).toBe('one two three');
    expect(truncateToTokens(text, 100, 'o200k_base')).toBe(text);
  });
});
