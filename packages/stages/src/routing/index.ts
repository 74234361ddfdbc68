// ModelProfile lives in @asahi/contracts (shared with @asahi/db); re-exported for routing callers.
export type { ModelProfile } from '@asahi/contracts';
export { detectTaskType, scoreTaskTypes } from './task-type.detector';
export { estimateCost } from './model-cost';
export type { EstimateCostOptions, ModelPrices } from './model-cost';
export { findModelEntry, snapshotBase } from './model-lookup';
export {
  DEFAULT_QUALITY_FLOOR,
  requiredCapabilities,
  resolveModel,
  routeRequest,
} from './routing.stage';
export type {
  ResolveModelOutcome,
  RouteInput,
  RouteOutcome,
  TenantRoutingSettings,
} from './routing.stage';
export { normaliseWeights } from './model-choice';
export type { GuidedWeights } from './model-choice';
