import type { RequestMessage, ResultMessage } from '@asahi/contracts';
import { decideCache } from './cache-policy';
import { exactCacheKey } from './canonical';
import type { Clock, ExactCache } from './ports';
import { buildResult } from './result-builder';

export type PrepareOutcome =
  | { kind: 'complete'; result: ResultMessage; cacheHit: boolean }
  | { kind: 'dispatch'; cacheKey: string | null };

export interface PreparePorts {
  cache: ExactCache;
  clock: Clock;
}

/**
 * The prepare stage: expire what is already late, answer from the tenant's exact cache when
 * allowed, otherwise hand the request on to dispatch with the key to fill the cache under.
 */
export async function prepareRequest(
  request: RequestMessage,
  ports: PreparePorts,
  timings: Record<string, number> = {},
): Promise<PrepareOutcome> {
  const now = ports.clock.now();
  if (Date.parse(request.deadlineAt) <= now) {
    const error = {
      code: 'deadline_exceeded',
      message: 'The request reached its deadline before it could run',
      retryable: false,
    };
    return {
      kind: 'complete',
      cacheHit: false,
      result: buildResult(request, {
        status: 'expired',
        completedAt: now,
        model: request.body.model,
        provider: 'none',
        attempts: 0,
        timings,
        error,
      }),
    };
  }
  const decision = decideCache(request);
  const cacheKey = decision.read || decision.write ? exactCacheKey(request.body) : null;
  if (!decision.read || cacheKey === null)
    return { kind: 'dispatch', cacheKey: decision.write ? cacheKey : null };

  const cached = await ports.cache.get(request.tenantId, cacheKey);
  if (!cached) return { kind: 'dispatch', cacheKey: decision.write ? cacheKey : null };
  const result = buildResult(request, {
    status: 'succeeded',
    completedAt: ports.clock.now(),
    model: cached.model,
    provider: cached.provider,
    output: cached.output,
    usage: cached.usage,
    costUsd: 0,
    // What the tenant would have paid without Asahi: the same call again, realtime.
    baselineCostUsd: cached.costUsd,
    cacheTier: 'exact',
    attempts: 0,
    timings,
  });
  return { kind: 'complete', result, cacheHit: true };
}
