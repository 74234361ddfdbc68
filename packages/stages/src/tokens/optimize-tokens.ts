import type {
  ChatMessage,
  ChatRequest,
  OptimizationMode,
  TaskType,
  TokenReport,
} from '@asahi/contracts';
import { collapseSpacesStrategy, normalizeWhitespaceStrategy } from './whitespace.strategy';
import { stripBoilerplateStrategy } from './boilerplate.strategy';
import { DEFAULT_FEW_SHOT_KEEP, selectFewShotStrategy } from './few-shot.strategy';
import { DEFAULT_HISTORY_BUDGET_TOKENS, trimHistoryStrategy } from './trim-history.strategy';
import { dedupeBlocksStrategy } from './dedupe-blocks.strategy';
import { rightSizeMaxTokensStrategy } from './max-tokens.strategy';
import { createTokenCounter, type TokenCounter } from './token-count';
import {
  RISK_ORDER,
  type CompletionTarget,
  type StrategyContext,
  type StrategyName,
  type StrategyRisk,
  type TokenStrategy,
} from './strategy';

/**
 * Every strategy, in the order they run. Cheap normalizations first, so the later ones compare
 * normalized text; history is trimmed before repeats are deduped, so a reference never points
 * into a dropped message.
 */
export const TOKEN_STRATEGIES: readonly TokenStrategy[] = [
  normalizeWhitespaceStrategy,
  collapseSpacesStrategy,
  stripBoilerplateStrategy,
  selectFewShotStrategy,
  trimHistoryStrategy,
  dedupeBlocksStrategy,
  rightSizeMaxTokensStrategy,
];

/** The riskiest strategy each mode runs. */
export const MAX_RISK: Record<OptimizationMode, StrategyRisk | null> = {
  off: null,
  safe: 'low',
  aggressive: 'high',
};

export function allowedStrategies(mode: OptimizationMode): TokenStrategy[] {
  const max = MAX_RISK[mode];
  if (max === null) return [];
  const limit = RISK_ORDER.indexOf(max);
  return TOKEN_STRATEGIES.filter((s) => RISK_ORDER.indexOf(s.risk) <= limit);
}

export interface TokenOptimizationOptions {
  mode: OptimizationMode;
  /** The model whose tokenizer counts; defaults to `body.model`. */
  model?: string;
  /** Prompt-token budget for `trim-history` (default 4000). */
  historyBudgetTokens?: number;
  /** Few-shot examples `select-few-shot` keeps (default 3). */
  fewShotKeep?: number;
  /** Detected or declared task, for `right-size-max-tokens`. */
  taskType?: TaskType;
  /**
   * The model the request will run on, for `right-size-max-tokens` (its window and whether it
   * takes max_tokens). Absent: the model is unknown, and only a caller's max_tokens is lowered.
   */
  target?: CompletionTarget;
  /** A counter for `model` to reuse across the calls of one request (its memo is kept). */
  counter?: TokenCounter;
}

export interface StrategyStep {
  name: StrategyName;
  risk: StrategyRisk;
  /** Prompt tokens this strategy removed (0 for `right-size-max-tokens`). */
  savedTokens: number;
}

export interface TokenOptimization {
  body: ChatRequest;
  /** Prompt tokens before and after, and the strategies that changed the request. */
  report: TokenReport;
  /** The strategies that changed the request, in the order they ran. */
  steps: StrategyStep[];
  /** max_tokens before and after; they differ only when `right-size-max-tokens` lowered it. */
  maxTokens: { before: number | undefined; after: number | undefined };
}

/** The final user turn, which no strategy may remove or empty. */
function finalUserTurn(messages: readonly ChatMessage[]): number {
  return messages.findLastIndex((m) => m.role === 'user');
}

/**
 * A last line of defence behind each strategy's own care: a result that lost the final user
 * turn, emptied a message or raised max_tokens is discarded.
 */
function keepsInvariants(before: ChatRequest, after: ChatRequest): boolean {
  if (after.messages.length === 0) return false;
  const hadUser = finalUserTurn(before.messages) >= 0;
  const lastUser = finalUserTurn(after.messages);
  if (hadUser && (lastUser < 0 || after.messages[lastUser]!.content.trim() === '')) return false;
  if (
    after.messages.some(
      (m) => m.content.trim() === '' && !before.messages.some((b) => b.content === m.content),
    )
  )
    return false;
  if (before.max_tokens !== undefined && (after.max_tokens ?? Infinity) > before.max_tokens)
    return false;
  return true;
}

function contextOf(options: TokenOptimizationOptions, counter: TokenCounter): StrategyContext {
  return {
    counter,
    historyBudgetTokens: options.historyBudgetTokens ?? DEFAULT_HISTORY_BUDGET_TOKENS,
    fewShotKeep: options.fewShotKeep ?? DEFAULT_FEW_SHOT_KEEP,
    taskType: options.taskType,
    target: options.target,
  };
}

/** Runs `strategies` over `from.body` in order, appending to its report and steps. */
function runStrategies(
  from: TokenOptimization,
  strategies: readonly TokenStrategy[],
  ctx: StrategyContext,
): TokenOptimization {
  let current = from.body;
  let tokens = from.report.optimized;
  const steps = [...from.steps];
  for (const strategy of strategies) {
    const result = strategy.apply(current, ctx);
    if (!result.applied || !keepsInvariants(current, result.body)) continue;
    const after = ctx.counter.messages(result.body.messages);
    // BPE is not monotonic: a rewrite can, rarely, tokenize longer. Then it is not worth it.
    if (strategy.affects === 'prompt' && after > tokens) continue;
    steps.push({ name: strategy.name, risk: strategy.risk, savedTokens: tokens - after });
    current = result.body;
    tokens = after;
  }
  return {
    body: current,
    report: {
      original: from.report.original,
      optimized: tokens,
      strategies: steps.map((s) => s.name),
    },
    steps,
    maxTokens: { before: from.maxTokens.before, after: current.max_tokens },
  };
}

const counterOf = (body: ChatRequest, options: TokenOptimizationOptions) =>
  options.counter ?? createTokenCounter(options.model ?? body.model);

/**
 * The prompt strategies the mode allows (every one but `right-size-max-tokens`), for a caller
 * that routes on the optimized prompt before sizing the completion with `rightSizeCompletion`.
 */
export function optimizePrompt(
  body: ChatRequest,
  options: TokenOptimizationOptions,
): TokenOptimization {
  const counter = counterOf(body, options);
  const original = counter.messages(body.messages);
  const start: TokenOptimization = {
    body,
    report: { original, optimized: original, strategies: [] },
    steps: [],
    maxTokens: { before: body.max_tokens, after: body.max_tokens },
  };
  const prompt = allowedStrategies(options.mode).filter((s) => s.affects === 'prompt');
  return runStrategies(start, prompt, contextOf(options, counter));
}

/** The completion strategies the mode allows, on an `optimizePrompt` result, for `options.target`. */
export function rightSizeCompletion(
  prompt: TokenOptimization,
  options: TokenOptimizationOptions,
): TokenOptimization {
  const counter = counterOf(prompt.body, options);
  const completion = allowedStrategies(options.mode).filter((s) => s.affects === 'completion');
  return runStrategies(prompt, completion, contextOf(options, counter));
}

/**
 * Runs the strategies the mode allows, in order, and reports prompt tokens before and after.
 * Pure and deterministic; running it on its own output changes nothing.
 */
export function optimizeTokens(
  body: ChatRequest,
  options: TokenOptimizationOptions,
): TokenOptimization {
  const counter = counterOf(body, options);
  return rightSizeCompletion(optimizePrompt(body, { ...options, counter }), {
    ...options,
    counter,
  });
}
