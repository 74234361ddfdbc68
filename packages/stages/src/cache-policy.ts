import type { CacheControl, RequestMessage, TenantPolicy } from '@asahi/contracts';

export const DEFAULT_CACHE_TTL_SECONDS = 24 * 3600;

export interface CacheDecision {
  read: boolean;
  write: boolean;
  ttlSeconds: number;
  /** Why reads or writes are off, when they are. */
  reason?: 'off' | 'write-only' | 'read-only' | 'sampling';
}

/**
 * A request that explicitly asks for sampling (temperature or top_p above greedy, no seed) wants
 * a fresh draw each time: serving or storing one answer would defeat that, unless the caller
 * declares the request cacheable.
 */
export function isNonDeterministic(request: Pick<RequestMessage, 'body' | 'cache'>): boolean {
  if (request.cache?.cacheable) return false;
  const { temperature, top_p, seed } = request.body;
  if (seed !== undefined) return false;
  return (temperature !== undefined && temperature > 0) || (top_p !== undefined && top_p < 1);
}

/**
 * What cache control allows: the request's own control wins, then the tenant's policy, then
 * read-write for 24 h. Sampling requests opt out of both reads and writes.
 */
export function decideCache(
  request: Pick<RequestMessage, 'cache'> & Partial<Pick<RequestMessage, 'body'>>,
  tenant: Pick<TenantPolicy, 'cache'> | CacheControl = { mode: 'read-write' },
): CacheDecision {
  const tenantCache = 'cache' in tenant ? tenant.cache : tenant;
  const mode = request.cache?.mode ?? tenantCache.mode ?? 'read-write';
  const ttlSeconds =
    request.cache?.ttlSeconds ?? tenantCache.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
  if (request.body && isNonDeterministic({ body: request.body, cache: request.cache }))
    return { read: false, write: false, ttlSeconds, reason: 'sampling' };
  const read = mode === 'read-write' || mode === 'read-only';
  const write = mode === 'read-write' || mode === 'write-only';
  return {
    read,
    write,
    ttlSeconds,
    ...(mode === 'off' ? { reason: 'off' as const } : {}),
    ...(mode === 'write-only' ? { reason: 'write-only' as const } : {}),
    ...(mode === 'read-only' ? { reason: 'read-only' as const } : {}),
  };
}
