import { describe, expect, it } from 'vitest';
import { InputError } from '../cli-input';
import { parseTokenSetInput } from './token-set';

const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] };
const line = (x: unknown) => JSON.stringify(x);
const file = (...lines: unknown[]) =>
  lines.map((l) => (typeof l === 'string' ? l : line(l))).join('\n');

describe('parseTokenSetInput', () => {
  it('reads token-set lines, with defaults for what a line leaves out', () => {
    const parsed = parseTokenSetInput(
      file({ id: 'mt-001', type: 'multi-turn', body, mode: 'aggressive', taskType: 'qa' }, '', {
        body,
      }),
      'set.jsonl',
    );
    expect(parsed).toEqual({
      format: 'token-set',
      lines: [
        { id: 'mt-001', type: 'multi-turn', body, mode: 'aggressive', taskType: 'qa' },
        { id: 'line-3', type: 'all', body, mode: undefined, taskType: undefined },
      ],
    });
  });

  it('recognises the shared prompts format', () => {
    const parsed = parseTokenSetInput(
      file({ prompt: 'First', id: 'a', raw_occurrences: 2, source: 's' }, { prompt: 'Second' }),
      'prompts.jsonl',
    );
    expect(parsed).toEqual({ format: 'prompts', prompts: ['First', 'Second'] });
  });

  it.each([
    [
      'a line of neither format',
      file({ body }, { text: 'hi' }),
      /^f:2: neither a token-set line .* nor a prompts row/,
    ],
    [
      'a body that is not a chat request',
      file({ id: 'x', body: { model: 'm' } }),
      /^f:1: invalid chat request in "body" \(messages: /,
    ],
    ['an unknown mode', file({ body }, { body, mode: 'extreme' }), /^f:2: invalid "mode"/],
    ['an unknown taskType', file({ body, taskType: 'poetry' }), /^f:1: invalid "taskType"/],
    [
      'a prompts row after token-set lines',
      file({ body }, '', { prompt: 'x' }),
      /^f:3: a prompts row .*, but line 1 was a token-set line/,
    ],
    [
      'a token-set line after prompts',
      file({ prompt: 'x' }, { body }),
      /^f:2: a token-set line .*, but line 1 was a prompts row/,
    ],
    ['malformed JSON', file({ body }, '{"body":'), /^f:2: not valid JSON/],
    ['an empty file', '\n', /^f: no requests/],
  ])('rejects %s with its line number', (_name, text, message) => {
    const call = () => parseTokenSetInput(text, 'f');
    expect(call).toThrow(InputError);
    expect(call).toThrow(message);
  });
});
