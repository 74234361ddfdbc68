import { describe, expect, it } from 'vitest';
import type { ChatRequest, TaskType } from '@asahi/contracts';
import { rightSizeMaxTokens } from './max-tokens.strategy';
import type { CompletionTarget } from './strategy';
import { createTokenCounter } from './token-count';

const counter = createTokenCounter('gpt-4o-mini');
const cl100k = createTokenCounter('gpt-3.5-turbo');
/** A sampling model with a wide window, as the router would hand one over. */
const WIDE: CompletionTarget = { contextWindow: 128_000, acceptsMaxTokens: true, counter };
const body = (max_tokens?: number, text = 'Label this: great phone'): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: text }],
  ...(max_tokens === undefined ? {} : { max_tokens }),
});
/** `null`: no target (the model is unknown). */
const run = (b: ChatRequest, taskType?: TaskType, target: CompletionTarget | null = WIDE) =>
  rightSizeMaxTokens(b, {
    counter,
    historyBudgetTokens: 4000,
    fewShotKeep: 3,
    taskType,
    target: target ?? undefined,
  }).max_tokens;

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

describe('rightSizeMaxTokens against the model the request runs on', () => {
  // About 16,261 prompt tokens: an extraction that fits gpt-3.5-turbo's 16,385-token window.
  const big = 'The invoice lists 3 items shipped to Lyon. '.repeat(1_630);
  const promptOn35 = cl100k.messages(body(undefined, big).messages);
  const GPT35: CompletionTarget = {
    contextWindow: 16_385,
    acceptsMaxTokens: true,
    counter: cl100k,
  };
  const O4_MINI: CompletionTarget = { contextWindow: 200_000, acceptsMaxTokens: false, counter };

  it.each([
    // [what, task, caller's max_tokens, text, target, expected]
    [
      'never past the window: what the prompt leaves',
      'extraction',
      undefined,
      big,
      GPT35,
      16_385 - promptOn35,
    ],
    [
      'a reasoning model is never given max_tokens',
      'classification',
      undefined,
      'Label: ok',
      O4_MINI,
      undefined,
    ],
    ['nor has its max_tokens changed', 'classification', 1000, 'Label: ok', O4_MINI, 1000],
    [
      'a caller value already past the window is left to the provider',
      'extraction',
      8000,
      big,
      GPT35,
      8000,
    ],
    [
      'no target: a caller’s max_tokens is still lowered',
      'classification',
      512,
      'Label: ok',
      null,
      64,
    ],
    [
      'no target: none is added to an unknown model',
      'classification',
      undefined,
      'Label: ok',
      null,
      undefined,
    ],
  ] as const)('%s', (_name, taskType, before, text, target, expected) => {
    const after = run(body(before, text), taskType, target);
    expect(after).toBe(expected);
    if (target && after !== undefined && after !== before)
      expect(target.counter.messages(body(after, text).messages) + after).toBeLessThanOrEqual(
        target.contextWindow,
      );
  });

  it('the fixture is the audit’s case: a prompt that fits, which 4,096 more would not', () => {
    expect(promptOn35).toBeGreaterThan(16_385 - 4_096);
    expect(promptOn35).toBeLessThan(16_385);
  });
});
