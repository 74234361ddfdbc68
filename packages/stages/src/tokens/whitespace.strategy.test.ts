import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '@asahi/contracts';
import {
  collapseSpaces,
  collapseSpacesStrategy,
  normalizeWhitespace,
  normalizeWhitespaceStrategy,
} from './whitespace.strategy';
import { createTokenCounter } from './token-count';

const CODE = '```python\ndef f(x):  \n\n\n\n    return  x   \n```';

describe('normalizeWhitespace', () => {
  it.each([
    ['trailing spaces and tabs', 'Hello   \nworld\t', 'Hello\nworld'],
    ['CRLF line endings', 'one\r\ntwo\r\n', 'one\ntwo'],
    ['runs of blank lines become one', 'a\n\n\n\n\nb', 'a\n\nb'],
    ['whitespace-only lines are blank lines', 'a\n   \n \t \nb', 'a\n\nb'],
    ['blank lines at both ends', '\n\n  \nHi\n\n \n', 'Hi'],
    ['zero-width space and BOM', '\uFEFFzero\u200Bwidth', 'zerowidth'],
    ['no-break spaces', 'a\u00A0b', 'a b'],
    ['indentation is kept', '  - item\n    - nested', '  - item\n    - nested'],
    ['spaces inside a line are not this strategy’s job', 'a   b', 'a   b'],
    ['a code fence is untouched', `Fix:\n\n\n${CODE}\n\n\nThanks`, `Fix:\n\n${CODE}\n\nThanks`],
    ['an unclosed fence protects the rest', 'x  \n```\n a  \n\n\n\nb  ', 'x\n```\n a  \n\n\n\nb  '],
    [
      'a fence opened mid-line protects the code',
      'fix this ```js\nlet a = 1;   \n\n\n```',
      'fix this ```js\nlet a = 1;   \n\n\n```',
    ],
    ['tilde fences too', '~~~\n x   \n\n\n~~~\n\n\n\nend', '~~~\n x   \n\n\n~~~\n\nend'],
  ])('%s', (_name, input, expected) => {
    expect(normalizeWhitespace(input)).toBe(expected);
    expect(normalizeWhitespace(expected)).toBe(expected);
  });
});

describe('collapseSpaces', () => {
  it.each([
    ['two spaces after a full stop', 'End.  Next one.', 'End. Next one.'],
    ['runs between words', 'a    b  c', 'a b c'],
    ['one leading space is kept', ' a  b', ' a b'],
    [
      'indented lines (code, nested lists) are kept',
      '    x  =  1\n\tfoo  bar',
      '    x  =  1\n\tfoo  bar',
    ],
    ['column layouts are kept', 'Name    Age    City', 'Name    Age    City'],
    ['markdown tables are kept', '| a  | b  |', '| a  | b  |'],
    ['unfenced code with a string is kept', 'print("a  b")', 'print("a  b")'],
    ['unfenced code with an assignment is kept', 'x  = 1', 'x  = 1'],
    ['inline code is kept', 'use `a  b` here  now', 'use `a  b` here  now'],
    ['code fences are kept', '```\na  b\n```\nc  d', '```\na  b\n```\nc d'],
  ])('%s', (_name, input, expected) => {
    expect(collapseSpaces(input)).toBe(expected);
    expect(collapseSpaces(expected)).toBe(expected);
  });
});

describe('whitespace strategies on a request', () => {
  const ctx = {
    counter: createTokenCounter('gpt-4o-mini'),
    historyBudgetTokens: 4000,
    fewShotKeep: 3,
  };
  const body = (...contents: string[]): ChatRequest => ({
    model: 'gpt-4o-mini',
    messages: contents.map((content) => ({ role: 'user' as const, content })),
  });

  it.each([
    ['already tight', body('Hello there.'), false],
    ['messy', body('Hello there.   \n\n\n'), true],
    ['whitespace-only message is never emptied', body('   \n  '), false],
  ])('normalize-whitespace on a %s request: applied=%s', (_name, request, applied) => {
    const result = normalizeWhitespaceStrategy.apply(request, ctx);
    expect(result.applied).toBe(applied);
    if (!applied) expect(result.body).toBe(request);
    for (const m of result.body.messages) expect(m.content).not.toBe('');
  });

  it('collapse-spaces reports whether it changed anything', () => {
    expect(collapseSpacesStrategy.apply(body('a  b'), ctx)).toMatchObject({ applied: true });
    expect(collapseSpacesStrategy.apply(body('a b'), ctx)).toMatchObject({ applied: false });
  });
});
