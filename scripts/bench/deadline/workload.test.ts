import { describe, expect, it } from 'vitest';
import {
  bulkJsonl,
  chatBody,
  MAX_PROMPT_CHARS,
  mixCounts,
  parsePromptRows,
  splitEvenly,
  uniquePrompt,
} from './workload';

const rows = [{ prompt: 'alpha' }, { prompt: 'beta' }, { prompt: 'x'.repeat(5_000) }];

describe('parsePromptRows', () => {
  it('keeps rows with a non-empty prompt and skips blank lines', () => {
    const text = '{"prompt":"a","id":1}\n\n{"id":2}\n{"prompt":"  "}\n{"prompt":"b"}\n';
    expect(parsePromptRows(text)).toEqual([{ prompt: 'a', id: 1 }, { prompt: 'b' }]);
  });
  it('refuses a file without any prompt', () => {
    expect(() => parsePromptRows('{"id":1}\n')).toThrow(/no row/);
  });
});

describe('uniquePrompt', () => {
  it('never repeats a text across modes and indexes, even when the rows wrap around', () => {
    const texts = (['sync', 'async', 'bulk'] as const).flatMap((mode) =>
      Array.from({ length: 20 }, (_, i) => uniquePrompt(rows, 'run1', mode, i - 2)),
    );
    expect(new Set(texts).size).toBe(texts.length);
  });
  it('differs between runs and cuts long prompts', () => {
    expect(uniquePrompt(rows, 'a', 'bulk', 0)).not.toBe(uniquePrompt(rows, 'b', 'bulk', 0));
    const long = Array.from({ length: 3 }, (_, i) => uniquePrompt(rows, 'r', 'sync', i));
    for (const text of long) expect(text.length).toBeLessThan(MAX_PROMPT_CHARS + 40);
  });
});

describe('bulkJsonl', () => {
  it('writes one OpenAI Batch input line per body', () => {
    const bodies = [chatBody('one', 'gpt-4o-mini', 16), chatBody('two', 'gpt-4o-mini', 16)];
    const lines = bulkJsonl(bodies, 'u0').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l) as unknown)).toEqual([
      { custom_id: 'u0-0', method: 'POST', url: '/v1/chat/completions', body: bodies[0] },
      { custom_id: 'u0-1', method: 'POST', url: '/v1/chat/completions', body: bodies[1] },
    ]);
    expect(bodies[0]!.cache).toEqual({ mode: 'off' });
  });
});

describe('mixCounts', () => {
  it('is 10 / 30 / 60 by count unless counts are given', () => {
    expect(mixCounts({ syncRatePerSec: 5, durationS: 40 })).toEqual({
      sync: 200,
      async: 600,
      bulk: 1200,
    });
    expect(mixCounts({ syncRatePerSec: 2, durationS: 10, asyncCount: 0, bulkCount: 7 })).toEqual({
      sync: 20,
      async: 0,
      bulk: 7,
    });
  });
});

describe('splitEvenly', () => {
  it.each([
    [10, 3, [4, 3, 3]],
    [2, 5, [1, 1]],
    [9, 1, [9]],
    [0, 4, []],
  ])('%d into %d parts', (total, parts, expected) => {
    const split = splitEvenly(total, parts);
    expect(split).toEqual(expected);
    expect(split.reduce((a, b) => a + b, 0)).toBe(total);
  });
});
