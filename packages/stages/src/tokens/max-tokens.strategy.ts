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
 * prompt-token reduction. Against the model the request runs on (`ctx.target`): never on a model
 * that does not take max_tokens, never past what its window leaves after the prompt, and a
 * caller's max_tokens that already overflows the window is the caller's to fix, not ours to
 * shrink. Without a target the model is unknown: only a max_tokens the caller set is lowered.
 */
export function rightSizeMaxTokens(body: ChatRequest, ctx: StrategyContext): ChatRequest {
  const { target, taskType } = ctx;
  if (!taskType || (target && !target.acceptsMaxTokens)) return body;
  if (!target && body.max_tokens === undefined) return body;
  const cap = maxTokensFor(taskType, ctx.counter.messages(body.messages));
  if (cap === null) return body;
  const room = target
    ? target.contextWindow - target.counter.messages(body.messages)
    : Number.POSITIVE_INFINITY;
  if (body.max_tokens !== undefined && body.max_tokens > room) return body;
  const next = Math.min(cap, room);
  if (next < 1 || (body.max_tokens !== undefined && body.max_tokens <= next)) return body;
  return { ...body, max_tokens: next };
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
