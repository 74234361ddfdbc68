import { describe, expect, it } from 'vitest';
import { InputError } from './cli-input';
import { parseJsonl, parsePairRows, parsePromptRows } from './data-formats';

const jsonl = (...lines: string[]) => lines.join('\n');

describe('parseJsonl', () => {
  it('keeps the file line numbers across blank lines', () => {
    expect(parseJsonl(jsonl('{"x":1}', '', '  ', '{"x":2}', ''), 'f')).toEqual([
      { line: 1, value: { x: 1 } },
      { line: 4, value: { x: 2 } },
    ]);
  });

  it('reports a line that is not JSON with its line number', () => {
    const call = () => parseJsonl(jsonl('{"x":1}', '', '{"x":'), 'data.jsonl');
    expect(call).toThrow(InputError);
    expect(call).toThrow(/^data\.jsonl:3: not valid JSON/);
  });
});

describe('parsePromptRows', () => {
  it.each([
    [
      'the shared format',
      '{"prompt":"Hi there","id":"abc","raw_occurrences":3,"source":"s"}',
      { id: 'abc', prompt: 'Hi there', raw_occurrences: 3 },
    ],
    ['a numeric id', '{"prompt":"Hi","id":7}', { id: '7', prompt: 'Hi' }],
    ['no id: the line number stands in', '{"prompt":"Hi"}', { id: 'line-1', prompt: 'Hi' }],
  ])('reads %s', (_name, line, expected) => {
    expect(parsePromptRows(line, 'f')).toEqual([expected]);
  });

  it.each([
    [
      'a row without prompt',
      jsonl('{"prompt":"ok"}', '{"id":"x"}'),
      /^p\.jsonl:2: expected a prompts row/,
    ],
    ['a prompt that is not a string', jsonl('{"prompt":3}'), /^p\.jsonl:1: expected a prompts row/],
    ['an array', jsonl('["prompt"]'), /^p\.jsonl:1: expected a prompts row/],
    ['malformed JSON', jsonl('{"prompt":"ok"}', '', '{oops'), /^p\.jsonl:3: not valid JSON/],
    ['an empty file', '\n\n', /^p\.jsonl: no prompts/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parsePromptRows(text, 'p.jsonl')).toThrow(message);
  });
});

describe('parsePairRows', () => {
  it('reads labelled pairs and drops other fields', () => {
    expect(parsePairRows('{"a":"x","b":"y","duplicate":true,"source":"s"}', 'f')).toEqual([
      { a: 'x', b: 'y', duplicate: true },
    ]);
  });

  it.each([
    [
      'duplicate as a string',
      '{"a":"x","b":"y","duplicate":"true"}',
      /^q\.jsonl:1: expected a labelled pair/,
    ],
    ['a missing b', '{"a":"x","duplicate":false}', /^q\.jsonl:1: expected a labelled pair/],
    [
      'malformed JSON on line 2',
      jsonl('{"a":"x","b":"y","duplicate":true}', '{"a":'),
      /^q\.jsonl:2: not valid JSON/,
    ],
    ['an empty file', '', /^q\.jsonl: no labelled pairs/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parsePairRows(text, 'q.jsonl')).toThrow(message);
  });
});
