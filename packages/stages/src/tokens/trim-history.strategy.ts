import type { ChatMessage, ChatRequest } from '@asahi/contracts';
import { UNCHANGED, type StrategyContext, type TokenStrategy } from './strategy';

/** Used when the policy sets no budget: long enough for most conversations to pass untouched. */
export const DEFAULT_HISTORY_BUDGET_TOKENS = 4_000;

const isPinned = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';

/** Earlier turns, newest first; a turn is a user message and every message up to the next one. */
function turnsNewestFirst(middle: readonly ChatMessage[]): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  let current: ChatMessage[] = [];
  for (const message of middle) {
    if (message.role === 'user' && current.length > 0) {
      turns.push(current);
      current = [];
    }
    current.push(message);
  }
  if (current.length > 0) turns.push(current);
  return turns.reverse();
}

/**
 * Drops the oldest whole turns until the prompt fits the budget. The leading system/developer
 * messages, the final user turn and anything after it are always kept, even over budget; turns
 * are dropped oldest first and only as a contiguous prefix, so what remains reads in order.
 */
export function trimHistory(body: ChatRequest, ctx: StrategyContext): ChatRequest {
  const { messages } = body;
  const budget = ctx.historyBudgetTokens;
  if (ctx.counter.messages(messages) <= budget) return body;
  let pinnedEnd = 0;
  while (pinnedEnd < messages.length && isPinned(messages[pinnedEnd]!)) pinnedEnd++;
  const lastUser = messages.findLastIndex((m) => m.role === 'user');
  if (lastUser <= pinnedEnd) return body;
  const pinned = messages.slice(0, pinnedEnd);
  const tail = messages.slice(lastUser);
  const kept: ChatMessage[][] = [];
  let total = ctx.counter.messages([...pinned, ...tail]);
  for (const turn of turnsNewestFirst(messages.slice(pinnedEnd, lastUser))) {
    const cost = ctx.counter.messages(turn) - ctx.counter.messages([]);
    if (total + cost > budget) break;
    total += cost;
    kept.unshift(turn);
  }
  const keptCount = kept.reduce((n, turn) => n + turn.length, 0);
  if (keptCount === lastUser - pinnedEnd) return body;
  return { ...body, messages: [...pinned, ...kept.flat(), ...tail] };
}

export const trimHistoryStrategy: TokenStrategy = {
  name: 'trim-history',
  risk: 'medium',
  affects: 'prompt',
  apply(body, ctx) {
    const next = trimHistory(body, ctx);
    return next === body ? UNCHANGED(body) : { body: next, applied: true };
  },
};
