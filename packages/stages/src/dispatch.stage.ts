import type { DispatchPlan, RequestMessage, ResultMessage } from '@asahi/contracts';
import { toAppError, type AppError } from '@asahi/errors';
import { decideCache } from './cache-policy';
import type { Clock, ChatProvider, ExactCache } from './ports';
import { accountCost } from './cost/index';
import { buildResult } from './result-builder';

export interface DispatchPorts {
  provider: ChatProvider;
  cache: ExactCache;
  clock: Clock;
}

export interface DispatchInput {
  request: RequestMessage;
  cacheKey: string | null;
  attempt: number;
  isFinalAttempt: boolean;
  timeoutMs: number;
  timings: Record<string, number>;
  /** What prepare decided (routing, token optimization, alias cache keys). */
  plan?: DispatchPlan;
}

export type DispatchOutcome =
  | { kind: 'complete'; result: ResultMessage }
  /** Retry later (the queue applies backoff, honouring retryAfterMs). */
  | { kind: 'retry'; error: AppError };

/**
 * The dispatch stage: one realtime provider call. A retryable failure asks for a retry until the
 * last attempt; after that, or on a non-retryable failure, the request ends in a failed result
 * with a code the client can act on — it never just disappears.
 */
export async function dispatchRequest(
  input: DispatchInput,
  ports: DispatchPorts,
): Promise<DispatchOutcome> {
  const { request } = input;
  const started = ports.clock.now();
  try {
    const answer = await ports.provider.complete(request.body, { timeoutMs: input.timeoutMs });
    const model = answer.output.model || request.body.model;
    const plan = input.plan;
    const cost = accountCost({
      baselineModel: plan?.baselineModel ?? request.body.model,
      model,
      usage: answer.usage,
      tokens: plan?.tokens,
    });
    const timings = { ...input.timings, provider: ports.clock.now() - started };
    const result = buildResult(request, {
      status: 'succeeded',
      completedAt: ports.clock.now(),
      model,
      provider: ports.provider.name,
      output: answer.output,
      usage: answer.usage,
      ...cost,
      attempts: input.attempt,
      timings,
      routing: plan?.routing,
      tokens: plan?.tokens,
    });
    // Cache control was decided in prepare: a key is only present when writes are allowed.
    const ttlSeconds = plan?.cacheTtlSeconds ?? decideCache(request).ttlSeconds;
    const keys = input.cacheKey ? [input.cacheKey, ...(plan?.aliasKeys ?? [])] : [];
    const entry = {
      output: answer.output,
      usage: answer.usage,
      model: result.model,
      provider: result.provider,
      costUsd: cost.costUsd,
      baselineCostUsd: cost.baselineCostUsd,
      cachedAt: result.completedAt,
    };
    await Promise.all(
      keys.map(
        (key) => ports.cache.set(request.tenantId, key, entry, ttlSeconds).catch(() => undefined), // a cache write failure must not fail a paid-for answer
      ),
    );
    return { kind: 'complete', result };
  } catch (err) {
    const error = toAppError(err);
    if (error.retryable && !input.isFinalAttempt) return { kind: 'retry', error };
    const result = buildResult(request, {
      status: 'failed',
      completedAt: ports.clock.now(),
      model: request.body.model,
      provider: ports.provider.name,
      attempts: input.attempt,
      timings: { ...input.timings, provider: ports.clock.now() - started },
      error: { code: error.code, message: error.message, retryable: error.retryable },
    });
    return { kind: 'complete', result };
  }
}
