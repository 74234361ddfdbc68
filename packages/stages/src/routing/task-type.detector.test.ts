import { readFileSync } from 'node:fs';
import { TASK_TYPES, type ChatMessage, type TaskType } from '@asahi/contracts';
import { describe, expect, it } from 'vitest';
import {
  detectTaskType,
  SCORED_HEAD_CHARS,
  SCORED_TAIL_CHARS,
  scoredPart,
  scoreTaskTypes,
} from './task-type.detector';

/**
 * task-type.labelled.jsonl, one prompt per line, labelled by hand:
 *  - split "dev": ShareGPT first turns (../shared/data/prompts.dev.jsonl) the rules were tuned on;
 *  - split "holdout": ShareGPT first turns labelled before the rules were run on them, never tuned on;
 *  - split "hand": written for the task types ShareGPT rarely shows (classification, extraction,
 *    translation…), in the shape API workloads send them.
 */
interface Labelled {
  split: 'dev' | 'holdout' | 'hand';
  source: string;
  task: TaskType;
  prompt: string;
}
const LABELLED: Labelled[] = readFileSync(
  new URL('./task-type.labelled.jsonl', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Labelled);

const user = (content: string): ChatMessage => ({ role: 'user', content });

/** Hand cases the rules get wrong, kept visible: a puzzle with no cue word reads as a question. */
const KNOWN_MISSES = new Set(['hand-30']);

describe('detectTaskType on hand-written API-style prompts', () => {
  const hand = LABELLED.filter((c) => c.split === 'hand');
  it.each(hand.filter((c) => !KNOWN_MISSES.has(c.source)).map((c) => [c.task, c.prompt]))(
    '%s: %s',
    (task, prompt) => {
      expect(detectTaskType([user(prompt)])).toBe(task);
    },
  );
  it.fails.each(hand.filter((c) => KNOWN_MISSES.has(c.source)).map((c) => [c.task, c.prompt]))(
    'known miss, %s: %s',
    (task, prompt) => {
      expect(detectTaskType([user(prompt)])).toBe(task);
    },
  );
});

describe('detectTaskType accuracy on labelled ShareGPT prompts', () => {
  function accuracy(split: Labelled['split']): number {
    const cases = LABELLED.filter((c) => c.split === split);
    const misses = cases
      .map((c) => ({ ...c, got: detectTaskType([user(c.prompt)]) }))
      .filter((c) => c.got !== c.task);
    const share = 1 - misses.length / cases.length;
    // Printed so the figure is visible in test output (README records it).
    console.info(
      `task-type ${split}: ${cases.length - misses.length}/${cases.length} = ${share.toFixed(3)}` +
        misses.map((m) => `\n  ${m.source}: labelled ${m.task}, detected ${m.got}`).join(''),
    );
    return share;
  }

  it('covers every task type in the labelled set', () => {
    for (const task of TASK_TYPES) {
      expect(LABELLED.filter((c) => c.task === task).length, task).toBeGreaterThanOrEqual(6);
    }
    expect(LABELLED.length).toBeGreaterThanOrEqual(120);
  });

  it('gets at least 90 % of the tuning split right', () => {
    expect(accuracy('dev')).toBeGreaterThanOrEqual(0.9);
  });

  it('gets at least 85 % of the held-out split right', () => {
    expect(accuracy('holdout')).toBeGreaterThanOrEqual(0.85);
  });
});

describe('detectTaskType: which messages count', () => {
  it.each<[string, ChatMessage[], TaskType]>([
    ['nothing to go on: chat', [user('ok')], 'chat'],
    ['an unrecognised question: qa', [user('Should I repaint the fence this year?')], 'qa'],
    [
      'the last user turn is the instruction, not earlier turns',
      [
        user('Translate to German: good morning'),
        { role: 'assistant', content: 'Guten Morgen' },
        user('Now write a haiku about mornings'),
      ],
      'chat',
    ],
    [
      'a system prompt can carry the instruction',
      [
        {
          role: 'system',
          content: 'Classify each message as spam or not spam. Reply with one word.',
        },
        user('WIN a FREE cruise, reply now'),
      ],
      'classification',
    ],
    [
      'a generic system prompt does not tip the balance',
      [{ role: 'system', content: 'You are a helpful assistant.' }, user('Who was Ada Lovelace?')],
      'qa',
    ],
    [
      'code in a fence outweighs a question',
      [user('What does this print?\n```js\nconsole.log([1, 2].map((x) => x * 2));\n```')],
      'code',
    ],
    ['no user message at all: chat', [{ role: 'system', content: 'Be brief.' }], 'chat'],
  ])('%s', (_, messages, expected) => {
    expect(detectTaskType(messages)).toBe(expected);
  });
});

describe('detectTaskType on very long prompts', () => {
  const user = (content: string): ChatMessage => ({ role: 'user', content });
  // 1 MB: code-looking lines with unclosed calls (once quadratic), a question, a long word.
  const filler = 'result.append(value, other, ' + 'x'.repeat(4_000) + '\n';
  const huge = `Summarize the key points of this log.\n${filler.repeat(260)}${'a'.repeat(20_000)}`;
  const headAndTail = `${huge.slice(0, SCORED_HEAD_CHARS)}\n${huge.slice(-SCORED_TAIL_CHARS)}`;

  it('scores only the head and tail of a long text: same answer as on those ~8 KB', () => {
    expect(huge.length).toBeGreaterThan(1_000_000);
    expect(scoredPart(huge)).toBe(headAndTail);
    expect(scoreTaskTypes(huge)).toEqual(scoreTaskTypes(headAndTail));
    expect(detectTaskType([user(huge)])).toBe(detectTaskType([user(headAndTail)]));
    expect(detectTaskType([user(huge)])).toBe('summarization');
  });

  it('still sees an instruction at the end of a long pasted document', () => {
    const doc = 'The quarterly figures rose in every region but one. '.repeat(20_000);
    expect(detectTaskType([user(`${doc}\n\nTranslate the text above into German.`)])).toBe(
      'translation',
    );
  });

  it.each([
    ['a call with arguments', 'client.send(payload, { retries: 3 });', true],
    ['a call across a line break is not one', 'client.send(payload,\n retries);', false],
    ['prose with a full stop', 'I went home. Then (later) I slept;', false],
  ])('the statement rule: %s', (_, text, code) => {
    expect(scoreTaskTypes(text).code > 0).toBe(code);
  });
});
