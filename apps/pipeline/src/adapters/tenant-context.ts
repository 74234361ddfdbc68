import {
  EMPTY_TENANT_POLICY,
  tenantPolicyFromSettings,
  type ModelProfile,
  type TenantPolicy,
} from '@asahi/contracts';
import type { Logger } from '@asahi/logger';
import type { PrepareContext } from '@asahi/stages';

export interface TenantContextSources {
  /** `tenants.settings` of a tenant (null when the tenant is unknown). */
  tenantSettings(tenantId: string): Promise<Record<string, unknown> | null>;
  listModels(): Promise<ModelProfile[]>;
}

interface Cached<T> {
  value: T;
  loadedAt: number;
}

/**
 * Tenant policy and model registry for the prepare stage, cached in process for `ttlMs` so the
 * hot path does not touch Postgres. When Postgres is unreachable the last known values (or the
 * platform defaults) are used: routing and caching degrade, requests still flow.
 */
export function createTenantContextLoader(
  sources: TenantContextSources,
  options: { ttlMs: number; logger: Logger; now?: () => number },
): (tenantId: string) => Promise<PrepareContext> {
  const now = options.now ?? Date.now;
  const policies = new Map<string, Cached<TenantPolicy>>();
  let registry: Cached<ModelProfile[]> | undefined;
  const fresh = (c: Cached<unknown> | undefined) => c && now() - c.loadedAt < options.ttlMs;

  async function policyOf(tenantId: string): Promise<TenantPolicy> {
    const cached = policies.get(tenantId);
    if (cached && fresh(cached)) return cached.value;
    try {
      const settings = await sources.tenantSettings(tenantId);
      const value = tenantPolicyFromSettings(settings, (issues) =>
        options.logger.warn({ tenantId, issues }, 'ignoring invalid tenant policy'),
      );
      policies.set(tenantId, { value, loadedAt: now() });
      return value;
    } catch (err) {
      options.logger.warn({ tenantId, err }, 'tenant policy unavailable, using last known');
      return cached?.value ?? EMPTY_TENANT_POLICY;
    }
  }

  async function models(): Promise<ModelProfile[]> {
    if (registry && fresh(registry)) return registry.value;
    try {
      registry = { value: await sources.listModels(), loadedAt: now() };
      return registry.value;
    } catch (err) {
      options.logger.warn({ err }, 'model registry unavailable, using last known');
      return registry?.value ?? [];
    }
  }

  return async (tenantId) => {
    const [policy, list] = await Promise.all([policyOf(tenantId), models()]);
    return { policy, registry: list };
  };
}
