export { DEFAULT_DEADLINE_MS, defaultDeadline, priorityClassOf } from './deadline.policy';
export type { DeadlineOverrides, PriorityClass } from './deadline.policy';
export { BATCH_API_MAX_LINES, DEFAULT_BATCH_POLICY } from './batch-plan.types';
export type {
  BatchPlan,
  BatchPolicy,
  DispatchEndpoint,
  Execution,
  Flush,
  FlushReason,
  PendingItem,
} from './batch-plan.types';
export { compareEdf, planBatches, waitsForBatch } from './batch.planner';
export { nextReleaseAt, releaseLateMembers } from './late-release.policy';
export type { LateReleasePolicy, RunningBatchJob } from './late-release.policy';
export {
  chargeService,
  DEFAULT_FAIR_ORDER_POLICY,
  dispatchTierOf,
  EMPTY_FAIR_SHARE,
  orderForDispatch,
} from './fair-order.policy';
export type { FairClock, FairOrderPolicy, FairShareState, QueuedItem } from './fair-order.policy';
export {
  breakerEventOf,
  breakerGauge,
  breakerTransition,
  canCall,
  CLOSED_BREAKER,
  DEFAULT_BREAKER_POLICY,
} from './circuit-breaker.machine';
export type {
  BreakerBucket,
  BreakerEvent,
  BreakerPolicy,
  BreakerState,
  BreakerStatus,
} from './circuit-breaker.machine';
export * from './rate-limit';
export {
  DEFAULT_QUEUE_PRIORITY_POLICY,
  dispatchBand,
  queuePriority,
  slackStep,
} from './queue-priority';
export type { QueuePriorityInput, QueuePriorityPolicy } from './queue-priority';
export { candidateModels, parseFallbackChains, pickModel } from './fallback.policy';
export type { FallbackChains } from './fallback.policy';
