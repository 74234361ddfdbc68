import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRequest } from '@asahi/contracts';
import { selectFewShot } from './few-shot.strategy';

const u = (content: string): ChatMessage => ({ role: 'user', content });
const s = (content: string): ChatMessage => ({ role: 'system', content });
const req = (...messages: ChatMessage[]): ChatRequest => ({ model: 'gpt-4o-mini', messages });
const keep = (n: number) => ({ fewShotKeep: n });

const REVIEWS: [string, string][] = [
  ['The phone camera takes sharp photos', 'positive'],
  ['The pizza arrived cold and late', 'negative'],
  ['Battery life of this phone is great', 'positive'],
  ['The hotel room smelled of smoke', 'negative'],
  ['The phone screen cracked after a week', 'negative'],
];
const shown = (gap: string) =>
  REVIEWS.map(([text, label], i) => `Example ${i + 1}:\nInput: ${text}\nOutput: ${label}`).join(
    gap,
  );
const labelled = (query: string, gap = '\n\n') =>
  `Classify the sentiment. Examples:\n\n${shown(gap)}${gap}Now classify:\nInput: ${query}\nOutput:`;
const pairs = (intro: string) =>
  `${intro}\n\n` + REVIEWS.map(([text, label]) => `Q: ${text}\nA: ${label}`).join('\n\n');

/** Example headers and questions, the query's included. */
const examplesIn = (body: ChatRequest, index: number) =>
  body.messages[index]!.content.split('\n').filter((l) => /^(Example \d+:|Q:)/.test(l));

describe('selectFewShot', () => {
  it('keeps the examples closest to the query, varied in answer, in their order, renumbered', () => {
    const body = req(u(labelled('Is the phone camera any good?')));
    const out = selectFewShot(body, keep(3)).messages[0]!.content;
    expect(out).toBe(
      'Classify the sentiment. Examples:\n\n' +
        'Example 1:\nInput: The phone camera takes sharp photos\nOutput: positive\n\n' +
        'Example 2:\nInput: Battery life of this phone is great\nOutput: positive\n\n' +
        'Example 3:\nInput: The phone screen cracked after a week\nOutput: negative\n\n' +
        'Now classify:\nInput: Is the phone camera any good?\nOutput:',
    );
  });

  it('prefers a new answer over a slightly more relevant example with an answer already kept', () => {
    // Example 3 (positive) shares as many words with the query as example 5 (negative) and is
    // shorter, so it is more relevant; but example 1 already shows "positive".
    const out = selectFewShot(req(u(labelled('Is the phone camera any good?'))), keep(2));
    expect(examplesIn(out, 0)).toEqual(['Example 1:', 'Example 2:']);
    expect(out.messages[0]!.content).toContain('Input: The phone screen cracked after a week');
    expect(out.messages[0]!.content).not.toContain('Battery');
  });

  it.each([
    ['labelled examples, query after them', req(u(labelled('phone camera'))), 0, 2],
    [
      'labelled examples without blank lines, the query as the last example',
      req(u(`Examples:\n${shown('\n')}\nExample 6:\nInput: phone camera\nOutput:`)),
      0,
      3,
    ],
    [
      'Q/A pairs in the system prompt, judged against the user message',
      req(s(pairs('Label each review. Examples:')), u('How is the phone battery?')),
      0,
      2,
    ],
    [
      'an unanswered final pair is the query and is kept',
      req(u(`${pairs('Some examples:')}\n\nQ: is the phone good?\nA:`)),
      0,
      3,
    ],
  ])('selects: %s', (_name, body, index, expected) => {
    const once = selectFewShot(body, keep(2));
    expect(examplesIn(once, index)).toHaveLength(expected);
    expect(once.messages.at(-1)!.content).toContain('phone');
    expect(selectFewShot(once, keep(2))).toBe(once);
  });

  it.each([
    ['as many examples as it keeps', req(u(labelled('phone'))), 5],
    // Where the examples end and the query begins cannot be told apart: nothing is dropped.
    ['the query glued to the last example', req(u(labelled('phone camera', '\n'))), 2],
    ['no query to judge relevance by', req(u(pairs('Examples of my grading:'))), 2],
    [
      'Q/A pairs not announced as examples (a quiz)',
      req(u(`${pairs('Grade my quiz.')}\n\nHow did I do?`)),
      2,
    ],
    [
      'a chat transcript',
      req(
        u(
          'Summarize:\nUser: hi there friend\nAssistant: hello\nUser: bye now friend\nAssistant: bye\n\nWhat happened?',
        ),
      ),
      2,
    ],
    [
      'examples in an assistant message',
      req({ role: 'assistant', content: labelled('x') }, u('phone')),
      2,
    ],
  ])('leaves alone: %s', (_name, body, k) => {
    expect(selectFewShot(body, keep(k))).toBe(body);
  });

  it('keeps the last example when text is glued to it (it may be the instruction)', () => {
    const content = `${pairs('Examples:')}\nNow label the user's review.`;
    const out = selectFewShot(req(s(content), u('hotel smoke')), keep(2)).messages[0]!.content;
    expect(out).toContain("A: negative\nNow label the user's review.");
    expect(out).toContain('Q: The hotel room smelled of smoke');
  });

  it('never touches the final user turn when the examples sit elsewhere', () => {
    const body = req(s(pairs('Examples:')), u('  phone   camera  '));
    expect(selectFewShot(body, keep(1)).messages[1]).toBe(body.messages[1]);
  });
});
