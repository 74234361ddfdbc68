import type { ChatRequest, TaskType } from '@asahi/contracts';
import { UNCHANGED, type StrategyContext, type TokenStrategy } from './strategy';

/**
 * The completion a task needs at most. A label needs a few tokens; an extraction rarely outgrows
 * its input. Other tasks have no bound we could defend, so they are left alone.
 */
export function maxTokensFor(taskType: TaskType, promptTokens: number): number | null {
  switch (taskType) {
    case 'classification':
      return 64;
    case 'extraction':
      return Math.min(4_096, Math.max(256, promptTokens));
    default:
      return null;
  }
}

/**
 * Lowers max_tokens (or sets it when absent) to what the task needs; never raises it. This cuts
 * cost only where the provider reserves or bills on max_tokens, so it is reported apart from the
 * prompt-token reduction.
 */
export function rightSizeMaxTokens(body: ChatRequest, ctx: StrategyContext): ChatRequest {
  if (!ctx.taskType) return body;
  const cap = maxTokensFor(ctx.taskType, ctx.counter.messages(body.messages));
  if (cap === null || (body.max_tokens !== undefined && body.max_tokens <= cap)) return body;
  return { ...body, max_tokens: cap };
}

export const rightSizeMaxTokensStrategy: TokenStrategy = {
  name: 'right-size-max-tokens',
  risk: 'low',
  affects: 'completion',
  apply(body, ctx) {
    const next = rightSizeMaxTokens(body, ctx);
    return next === body ? UNCHANGED(body) : { body: next, applied: true };
  },
};
