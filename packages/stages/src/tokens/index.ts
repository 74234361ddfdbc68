export {
  countTokens,
  createTokenCounter,
  createTokenCounters,
  encodingForModel,
} from './token-count';
export type { TokenCounter, TokenEncoding } from './token-count';
export {
  allowedStrategies,
  MAX_RISK,
  optimizePrompt,
  optimizeTokens,
  rightSizeCompletion,
  TOKEN_STRATEGIES,
} from './optimize-tokens';
export type { StrategyStep, TokenOptimization, TokenOptimizationOptions } from './optimize-tokens';
export {
  DEFAULT_OPTIMIZATION_MODE,
  resolveOptimizationMode,
  tenantOptimizationOf,
} from './token-policy';
export { DEFAULT_HISTORY_BUDGET_TOKENS } from './trim-history.strategy';
export { DEFAULT_FEW_SHOT_KEEP } from './few-shot.strategy';
export type {
  CompletionTarget,
  StrategyContext,
  StrategyName,
  StrategyResult,
  StrategyRisk,
  TokenStrategy,
} from './strategy';
