import { EMPTY_TENANT_POLICY, tenantPolicyFromSettings, type TenantPolicy } from '@asahi/contracts';

/** `tenants.settings` of a tenant (null when the tenant is unknown). */
export type TenantSettingsSource = (tenantId: string) => Promise<Record<string, unknown> | null>;

export interface TenantPolicyCacheOptions {
  /** How long a loaded policy is used without asking Postgres again (default 30 s). */
  ttlMs?: number;
  /** After a failed load, how long the last known policy is used before trying again (2 s). */
  errorTtlMs?: number;
  /** Bound on cached tenants (default 10 000; least recently used go first). */
  maxEntries?: number;
  now?: () => number;
  /** A stored policy that does not parse (it is ignored: the platform defaults apply). */
  onInvalid?: (tenantId: string, issues: string) => void;
  /** Postgres could not be read (the last known policy, or none, applies). */
  onError?: (tenantId: string, err: unknown) => void;
}

export type TenantPolicyLoader = (tenantId: string) => Promise<TenantPolicy>;

interface Entry {
  policy: TenantPolicy;
  expiresAt: number;
}

/**
 * Tenant policies for ingest (deadline defaults, routing mode), cached in-process like API keys
 * so the hot path rarely touches Postgres: a policy change reaches every instance within `ttlMs`.
 * Concurrent misses for one tenant share one query. A failed load never fails the request: the last known
 * policy (or none, i.e. platform defaults) is used and retried after `errorTtlMs`.
 */
export function createTenantPolicyLoader(
  source: TenantSettingsSource,
  options: TenantPolicyCacheOptions = {},
): TenantPolicyLoader {
  const ttlMs = options.ttlMs ?? 30_000;
  const errorTtlMs = options.errorTtlMs ?? 2_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<TenantPolicy>>();

  const remember = (tenantId: string, policy: TenantPolicy, ttl: number) => {
    entries.delete(tenantId);
    entries.set(tenantId, { policy, expiresAt: now() + ttl });
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  const load = async (tenantId: string, stale: TenantPolicy | undefined) => {
    try {
      const settings = await source(tenantId);
      const policy = tenantPolicyFromSettings(settings, (issues) =>
        options.onInvalid?.(tenantId, issues),
      );
      remember(tenantId, policy, ttlMs);
      return policy;
    } catch (err) {
      options.onError?.(tenantId, err);
      const fallback = stale ?? EMPTY_TENANT_POLICY;
      remember(tenantId, fallback, errorTtlMs);
      return fallback;
    }
  };

  return async (tenantId) => {
    const hit = entries.get(tenantId);
    if (hit && hit.expiresAt > now()) {
      entries.delete(tenantId);
      entries.set(tenantId, hit);
      return hit.policy;
    }
    const pending = inFlight.get(tenantId);
    if (pending) return pending;
    const p = load(tenantId, hit?.policy).finally(() => inFlight.delete(tenantId));
    inFlight.set(tenantId, p);
    return p;
  };
}
