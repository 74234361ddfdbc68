import type { ChatMessage, ChatRequest, TaskType } from '@asahi/contracts';
import type { TokenCounter } from './token-count';

/**
 * How likely a strategy is to change the answer. none: only invisible whitespace; low: removes
 * text the model has already seen or that carries no meaning; medium: drops context the model
 * might have used; high: drops content the tenant wrote on purpose.
 */
export type StrategyRisk = 'none' | 'low' | 'medium' | 'high';
export const RISK_ORDER: readonly StrategyRisk[] = ['none', 'low', 'medium', 'high'];

export type StrategyName =
  | 'normalize-whitespace'
  | 'collapse-spaces'
  | 'strip-boilerplate'
  | 'select-few-shot'
  | 'trim-history'
  | 'dedupe-blocks'
  | 'right-size-max-tokens';

/** The model a request will run on, as `right-size-max-tokens` needs to know it. */
export interface CompletionTarget {
  /** Prompt plus completion tokens the model holds. */
  contextWindow: number;
  /**
   * Whether the model takes `max_tokens` (the registry's `sampling` capability). OpenAI rejects
   * it for reasoning models, whose budget also covers their hidden reasoning.
   */
  acceptsMaxTokens: boolean;
  /** Counts in the model's own tokenizer, which may not be the request's. */
  counter: TokenCounter;
}

export interface StrategyContext {
  counter: TokenCounter;
  /** Prompt-token budget `trim-history` trims the conversation to. */
  historyBudgetTokens: number;
  /** How many few-shot examples `select-few-shot` keeps. */
  fewShotKeep: number;
  /** The detected or declared task; `right-size-max-tokens` needs it. */
  taskType?: TaskType | undefined;
  /** The routed model; without it `right-size-max-tokens` only lowers the caller's max_tokens. */
  target?: CompletionTarget | undefined;
}

export interface StrategyResult {
  body: ChatRequest;
  applied: boolean;
}

export interface TokenStrategy {
  name: StrategyName;
  risk: StrategyRisk;
  /** `prompt` strategies shrink the prompt; `completion` ones only lower max_tokens. */
  affects: 'prompt' | 'completion';
  apply(body: ChatRequest, ctx: StrategyContext): StrategyResult;
}

export const UNCHANGED = (body: ChatRequest): StrategyResult => ({ body, applied: false });

/**
 * Rewrites each message's content with `rewrite`; a rewrite that would leave a non-empty message
 * empty is ignored. Returns the same body object when nothing changed.
 */
export function rewriteContents(
  body: ChatRequest,
  rewrite: (content: string, message: ChatMessage, index: number) => string,
): StrategyResult {
  let applied = false;
  const messages = body.messages.map((message, index) => {
    const content = rewrite(message.content, message, index);
    if (content === message.content || (content.trim() === '' && message.content !== ''))
      return message;
    applied = true;
    return { ...message, content };
  });
  return applied ? { body: { ...body, messages }, applied } : UNCHANGED(body);
}
