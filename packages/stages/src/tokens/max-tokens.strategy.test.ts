import { describe, expect, it } from 'vitest';
import type { ChatRequest, TaskType } from '@asahi/contracts';
import { rightSizeMaxTokens } from './max-tokens.strategy';
import { createTokenCounter } from './token-count';

const counter = createTokenCounter('gpt-4o-mini');
const body = (max_tokens?: number, text = 'Label this: great phone'): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: text }],
  ...(max_tokens === undefined ? {} : { max_tokens }),
});
const run = (b: ChatRequest, taskType?: TaskType) =>
  rightSizeMaxTokens(b, { counter, historyBudgetTokens: 4000, fewShotKeep: 3, taskType })
    .max_tokens;

describe('rightSizeMaxTokens', () => {
  const longText = 'word '.repeat(2000);
  it.each([
    ['classification, generous cap', 'classification', 1024, 'Label this: great phone', 64],
    ['classification, no cap', 'classification', undefined, 'Label this: great phone', 64],
    ['classification, already small: never raised', 'classification', 16, 'Label this', 16],
    [
      'extraction from a short text: at least 256',
      'extraction',
      4000,
      'Extract the date: May 3',
      256,
    ],
    [
      'extraction from a long text: about its length',
      'extraction',
      8000,
      longText,
      counter.messages(body(undefined, longText).messages),
    ],
    ['extraction, already smaller: never raised', 'extraction', 100, longText, 100],
    ['summarization has no defensible cap', 'summarization', 4000, longText, 4000],
    ['chat', 'chat', undefined, 'hi', undefined],
    ['unknown task', undefined, 4000, 'hi', 4000],
  ] as const)('%s', (_name, taskType, before, text, expected) => {
    const after = run(body(before, text), taskType);
    expect(after).toBe(expected);
    if (before !== undefined) expect(after!).toBeLessThanOrEqual(before);
  });
});
