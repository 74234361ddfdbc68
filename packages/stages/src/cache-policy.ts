import type { CacheControl, RequestMessage } from '@asahi/contracts';

export const DEFAULT_CACHE_TTL_SECONDS = 24 * 3600;

export interface CacheDecision {
  read: boolean;
  write: boolean;
  ttlSeconds: number;
}

/** What the request's cache control allows: read and/or write, and for how long. */
export function decideCache(
  request: Pick<RequestMessage, 'cache'>,
  tenantDefault: CacheControl = { mode: 'read-write' },
): CacheDecision {
  const control = request.cache ?? tenantDefault;
  const mode = control.mode;
  return {
    read: mode === 'read-write' || mode === 'read-only',
    write: mode === 'read-write' || mode === 'write-only',
    ttlSeconds: control.ttlSeconds ?? tenantDefault.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS,
  };
}
