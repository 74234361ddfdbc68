export type {
  CachedAnswer,
  ChatProvider,
  Clock,
  Embedder,
  ExactCache,
  ProviderAnswer,
  VectorEntry,
  VectorIndex,
  VectorMatch,
  VectorMetadata,
} from './ports';
export { canonicalJson, exactCacheKey } from './canonical';
export { costOf, pricesOf } from './pricing';
export type { PriceOptions } from './pricing';
export { decideCache, DEFAULT_CACHE_TTL_SECONDS, isNonDeterministic } from './cache-policy';
export type { CacheDecision } from './cache-policy';
export { buildResult, ZERO_USAGE } from './result-builder';
export { DEFAULT_CONTEXT, prepareRequest } from './prepare/prepare.stage';
export type {
  EnrichmentPorts,
  PrepareContext,
  PrepareOutcome,
  PreparePorts,
  PrepareTrace,
} from './prepare/prepare.stage';
export type { SemanticPorts } from './prepare/semantic-lookup';
export { withinBudget } from './budget';
export { canonicalCacheKey, requestCacheKey } from './prepare/cache-keys';
export { answerResult, dispatchRequest, failedResult } from './dispatch.stage';
export type {
  DispatchInput,
  DispatchOutcome,
  DispatchPorts,
  RegistrySource,
} from './dispatch.stage';
export * from './semantic/index';
export * from './tokens/index';
export * from './routing/index';
export * from './enrichment/index';
export * from './steps/index';
export * from './cost/index';
export * from './dispatch-planning/index';
