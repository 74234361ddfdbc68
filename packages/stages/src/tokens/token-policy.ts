import type { OptimizationMode, TenantOptimization, TenantPolicy } from '@asahi/contracts';

/**
 * Used when neither the request nor the tenant says: `safe` only removes whitespace and text the
 * model has already been given, so the answer should not change; `aggressive` is opt-in.
 */
export const DEFAULT_OPTIMIZATION_MODE: OptimizationMode = 'safe';

const ORDER: readonly OptimizationMode[] = ['off', 'safe', 'aggressive'];

/** The tenant's optimization block; the original bare-mode form is `{ mode }`, no ceiling. */
export function tenantOptimizationOf(
  tenant?: Pick<TenantPolicy, 'optimization'>,
): TenantOptimization {
  const stored = tenant?.optimization;
  return typeof stored === 'string' ? { mode: stored } : (stored ?? {});
}

/**
 * The request's own mode, else the tenant's `mode`, else the platform default — never above
 * the tenant's `maxMode` (default `aggressive`): a request may always ask for less, and for
 * more only as far as the tenant allows.
 */
export function resolveOptimizationMode(
  requested: OptimizationMode | undefined,
  tenant?: Pick<TenantPolicy, 'optimization'>,
): OptimizationMode {
  const policy = tenantOptimizationOf(tenant);
  const wanted = requested ?? policy.mode ?? DEFAULT_OPTIMIZATION_MODE;
  const ceiling = policy.maxMode ?? 'aggressive';
  return ORDER.indexOf(wanted) > ORDER.indexOf(ceiling) ? ceiling : wanted;
}
