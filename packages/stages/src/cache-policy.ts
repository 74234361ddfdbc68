import type { CacheControl, RequestMessage, TenantPolicy } from '@asahi/contracts';

export const DEFAULT_CACHE_TTL_SECONDS = 24 * 3600;

export interface CacheDecision {
  read: boolean;
  write: boolean;
  ttlSeconds: number;
  /** Semantic (tier 2) reuse is allowed: neither the request nor the tenant turned it off. */
  semantic: boolean;
  /** Why reads or writes are off, when they are. */
  reason?: 'off' | 'write-only' | 'read-only' | 'sampling';
}

type CacheMode = NonNullable<CacheControl['mode']>;
const READS: readonly CacheMode[] = ['read-write', 'read-only'];
const WRITES: readonly CacheMode[] = ['read-write', 'write-only'];

/**
 * A request that explicitly asks for sampling (temperature or top_p above greedy, no seed) wants
 * a fresh draw each time: serving or storing one answer would defeat that, unless the caller
 * declares the request cacheable.
 */
export function isNonDeterministic(request: Pick<RequestMessage, 'body' | 'cache'>): boolean {
  if (request.cache?.cacheable) return false;
  const { temperature, top_p } = request.body;
  if (request.body.seed !== undefined) return false;
  return (temperature !== undefined && temperature > 0) || (top_p !== undefined && top_p < 1);
}

/**
 * What cache control allows. The tenant's policy is the ceiling and a request may only narrow
 * it, never widen it (a tenant that turned caching off for compliance stays off): reads only
 * when both allow them, writes likewise, the shorter TTL of the two (else 24 h), semantic reuse
 * only when neither says `false`. An absent mode allows both. Sampling requests opt out of reads
 * and writes unless they declare themselves cacheable.
 */
export function decideCache(
  request: Pick<RequestMessage, 'cache'> & Partial<Pick<RequestMessage, 'body'>>,
  tenant: Pick<TenantPolicy, 'cache'> | CacheControl = {},
): CacheDecision {
  const tenantCache = 'cache' in tenant ? tenant.cache : tenant;
  const own = request.cache ?? {};
  const modes = [own.mode ?? 'read-write', tenantCache.mode ?? 'read-write'];
  const ttls = [own.ttlSeconds, tenantCache.ttlSeconds].filter((t) => t !== undefined);
  const ttlSeconds = ttls.length ? Math.min(...ttls) : DEFAULT_CACHE_TTL_SECONDS;
  if (request.body && isNonDeterministic({ body: request.body, cache: request.cache }))
    return { read: false, write: false, ttlSeconds, semantic: false, reason: 'sampling' };
  const read = modes.every((m) => READS.includes(m));
  const write = modes.every((m) => WRITES.includes(m));
  const semantic = own.semantic !== false && tenantCache.semantic !== false;
  const reason = read ? (write ? undefined : 'read-only') : write ? 'write-only' : 'off';
  return { read, write, ttlSeconds, semantic, ...(reason ? { reason } : {}) };
}
