import type { OptimizationMode, TenantPolicy } from '@asahi/contracts';

/**
 * Used when neither the request nor the tenant says: `safe` only removes whitespace and text the
 * model has already been given, so the answer should not change; `aggressive` is opt-in.
 */
export const DEFAULT_OPTIMIZATION_MODE: OptimizationMode = 'safe';

/** The request's own mode wins, then the tenant's policy, then the platform default. */
export function resolveOptimizationMode(
  requested: OptimizationMode | undefined,
  tenant?: Pick<TenantPolicy, 'optimization'>,
): OptimizationMode {
  return requested ?? tenant?.optimization ?? DEFAULT_OPTIMIZATION_MODE;
}
