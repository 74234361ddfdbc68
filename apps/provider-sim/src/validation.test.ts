import { describe, expect, it } from 'vitest';
import { OpenAiError } from './openai-error';
import { parseChatRequest, parseEmbeddingsRequest } from './validation';

const ok = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

function errorOf(fn: () => unknown): OpenAiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OpenAiError) return err;
    throw err;
  }
  throw new Error('expected an OpenAiError');
}

describe('parseChatRequest', () => {
  it.each([
    ['missing model', { messages: ok.messages }, null, null],
    ['missing messages', { model: 'gpt-4o-mini' }, 'messages', 'missing_required_parameter'],
    ['empty messages', { ...ok, messages: [] }, 'messages', 'empty_array'],
    [
      'bad role',
      { ...ok, messages: [{ role: 'robot', content: 'x' }] },
      'messages[0].role',
      'invalid_value',
    ],
    ['temperature too high', { ...ok, temperature: 3 }, 'temperature', 'decimal_above_max_value'],
    ['temperature as string', { ...ok, temperature: 'hot' }, 'temperature', 'invalid_type'],
    ['max_tokens zero', { ...ok, max_tokens: 0 }, 'max_tokens', 'integer_below_min_value'],
    ['max_tokens decimal', { ...ok, max_tokens: 1.5 }, 'max_tokens', 'invalid_type'],
    [
      'content number',
      { ...ok, messages: [{ role: 'user', content: 5 }] },
      'messages[0].content',
      'invalid_type',
    ],
  ])('rejects %s with param %s / code %s', (_name, body, param, code) => {
    const err = errorOf(() => parseChatRequest(body));
    expect(err.status).toBe(400);
    expect(err.body()).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param, code },
    });
  });

  it('accepts null optionals, text parts and max_completion_tokens', () => {
    const parsed = parseChatRequest({
      ...ok,
      temperature: null,
      max_completion_tokens: 7,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        { role: 'assistant', content: null },
      ],
    });
    expect(parsed).toMatchObject({ temperature: undefined, maxTokens: 7, n: 1, stream: false });
    expect(parsed.messages[0]?.text).toBe('ab');
  });
});

describe('parseEmbeddingsRequest', () => {
  it.each([
    ['a string', 'hello', [{ kind: 'text', text: 'hello' }]],
    [
      'strings',
      ['a', 'b'],
      [
        { kind: 'text', text: 'a' },
        { kind: 'text', text: 'b' },
      ],
    ],
    ['a token array', [1, 2, 3], [{ kind: 'tokens', tokens: [1, 2, 3] }]],
    [
      'token arrays',
      [[1], [2, 3]],
      [
        { kind: 'tokens', tokens: [1] },
        { kind: 'tokens', tokens: [2, 3] },
      ],
    ],
  ])('accepts %s', (_name, input, inputs) => {
    expect(parseEmbeddingsRequest({ model: 'text-embedding-3-small', input }).inputs).toEqual(
      inputs,
    );
  });

  it.each([[''], [[]], [['ok', '']], [[1, 'x']], [{}]])('rejects input %j', (input) => {
    expect(
      errorOf(() => parseEmbeddingsRequest({ model: 'text-embedding-3-small', input })).status,
    ).toBe(400);
  });

  it('rejects an unknown encoding_format', () => {
    expect(
      errorOf(() => parseEmbeddingsRequest({ model: 'm', input: 'x', encoding_format: 'hex' }))
        .param,
    ).toBe('encoding_format');
  });
});
