import { describe, expect, it } from 'vitest';
import { jsonlLines, parseBatchInput } from './batch-input';

const chat = (customId: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    ...extra,
  });

describe('parseBatchInput', () => {
  it('accepts well-formed lines, keeping order, line numbers and the common model', () => {
    const result = parseBatchInput(`${chat('a')}\n\n${chat('b')}\n`, '/v1/chat/completions', 10);
    expect(result).toEqual({
      ok: true,
      model: 'gpt-4o-mini',
      items: [
        expect.objectContaining({ customId: 'a', line: 1 }),
        expect.objectContaining({ customId: 'b', line: 3 }),
      ],
    });
  });

  it('leaves body parameters (bad messages, unknown model) to the per-request error file', () => {
    const line = chat('a', { body: { model: 'no-such-model', messages: 'x' } });
    expect(parseBatchInput(line, '/v1/chat/completions', 10).ok).toBe(true);
  });

  const failures: {
    name: string;
    text: string;
    code: string;
    param: string | null;
    line: number | null;
  }[] = [
    {
      name: 'malformed JSON line',
      text: `${chat('a')}\n{"custom_id": "b",`,
      code: 'invalid_json_line',
      param: null,
      line: 2,
    },
    {
      name: 'a JSON value that is not an object',
      text: '[1,2]',
      code: 'invalid_json_line',
      param: null,
      line: 1,
    },
    {
      name: 'missing custom_id',
      text: chat(undefined),
      code: 'missing_required_parameter',
      param: 'custom_id',
      line: 1,
    },
    {
      name: 'empty custom_id',
      text: chat(''),
      code: 'missing_required_parameter',
      param: 'custom_id',
      line: 1,
    },
    {
      name: 'duplicate custom_id',
      text: `${chat('a')}\n${chat('a')}`,
      code: 'duplicate_custom_id',
      param: 'custom_id',
      line: 2,
    },
    {
      name: 'method other than POST',
      text: chat('a', { method: 'GET' }),
      code: 'invalid_method',
      param: 'method',
      line: 1,
    },
    {
      name: 'url of another endpoint',
      text: chat('a', { url: '/v1/embeddings' }),
      code: 'invalid_url',
      param: 'url',
      line: 1,
    },
    {
      name: 'missing url',
      text: chat('a', { url: undefined }),
      code: 'missing_required_parameter',
      param: 'url',
      line: 1,
    },
    {
      name: 'body that is not an object',
      text: chat('a', { body: 'hello' }),
      code: 'invalid_type',
      param: 'body',
      line: 1,
    },
    {
      name: 'body without a model',
      text: chat('a', { body: { messages: [] } }),
      code: 'missing_required_parameter',
      param: 'body.model',
      line: 1,
    },
    {
      name: 'a second model in the same batch',
      text: `${chat('a')}\n${chat('b', { body: { model: 'gpt-4o', messages: [] } })}`,
      code: 'mismatched_model',
      param: 'body.model',
      line: 2,
    },
    { name: 'an empty file', text: '\n \n', code: 'empty_file', param: null, line: null },
    {
      name: 'more lines than allowed',
      text: [chat('a'), chat('b'), chat('c')].join('\n'),
      code: 'too_many_tasks',
      param: null,
      line: null,
    },
  ];

  it.each(failures)('fails validation on $name ($code)', ({ text, code, param, line }) => {
    const result = parseBatchInput(text, '/v1/chat/completions', 2);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toEqual({ code, param, line, message: expect.any(String) });
  });

  it('reports every bad line, not only the first', () => {
    const result = parseBatchInput(
      `oops\n${chat('a')}\n${chat(undefined)}`,
      '/v1/chat/completions',
      10,
    );
    expect(result.ok ? [] : result.errors.map((e) => e.line)).toEqual([1, 3]);
  });
});

describe('jsonlLines', () => {
  it('numbers lines from 1, skips blank ones and strips CR', () => {
    expect(jsonlLines('a\r\n\nb\n')).toEqual([
      { line: 1, text: 'a' },
      { line: 3, text: 'b' },
    ]);
  });
});
