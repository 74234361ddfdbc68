import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRequest } from '@asahi/contracts';
import { trimHistory } from './trim-history.strategy';
import { createTokenCounter } from './token-count';

const counter = createTokenCounter('gpt-4o-mini');
const ctx = (historyBudgetTokens: number) => ({ counter, historyBudgetTokens, fewShotKeep: 3 });
const words = (label: string, n: number) => `${label} ${'lorem ipsum '.repeat(n)}`.trim();
const m = (role: ChatMessage['role'], content: string): ChatMessage => ({ role, content });
const req = (...messages: ChatMessage[]): ChatRequest => ({ model: 'gpt-4o-mini', messages });
const labels = (body: ChatRequest) => body.messages.map((x) => x.content.split(' ')[0]);

// Each turn is ~100 tokens; system and the final user message are small.
const conversation = req(
  m('system', 'sys'),
  m('user', words('u1', 40)),
  m('assistant', words('a1', 40)),
  m('user', words('u2', 40)),
  m('assistant', words('a2', 40)),
  m('user', words('u3', 40)),
  m('assistant', words('a3', 40)),
  m('user', 'final question'),
);

describe('trimHistory', () => {
  const full = counter.messages(conversation.messages);
  const pinned = counter.messages([conversation.messages[0]!, conversation.messages[7]!]);
  const turn = counter.messages(conversation.messages.slice(5, 7)) - counter.messages([]);

  it.each([
    [
      'a budget the whole conversation fits',
      full,
      ['sys', 'u1', 'a1', 'u2', 'a2', 'u3', 'a3', 'final'],
    ],
    ['room for the last turn only', pinned + turn, ['sys', 'u3', 'a3', 'final']],
    ['room for two turns', pinned + 2 * turn + 5, ['sys', 'u2', 'a2', 'u3', 'a3', 'final']],
    ['half a turn of room drops the whole turn', pinned + turn - 1, ['sys', 'final']],
    ['a budget below system + final user keeps both', 1, ['sys', 'final']],
  ])('%s', (_name, budget, expected) => {
    const trimmed = trimHistory(conversation, ctx(budget));
    expect(labels(trimmed)).toEqual(expected);
    if (budget >= pinned) expect(counter.messages(trimmed.messages)).toBeLessThanOrEqual(budget);
    expect(trimHistory(trimmed, ctx(budget))).toBe(trimmed);
  });

  it('keeps what follows the final user message (an assistant prefill)', () => {
    const body = req(m('user', words('u1', 200)), m('user', 'final'), m('assistant', 'prefill'));
    expect(labels(trimHistory(body, ctx(50)))).toEqual(['final', 'prefill']);
  });

  it('returns the same body when there is no history to drop', () => {
    const body = req(m('system', words('sys', 500)), m('user', words('only', 500)));
    expect(trimHistory(body, ctx(10))).toBe(body);
  });
});
