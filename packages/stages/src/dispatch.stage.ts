import type {
  DispatchPlan,
  DispatchReport,
  ModelProfile,
  RequestMessage,
  ResultMessage,
} from '@asahi/contracts';
import { toAppError, type AppError } from '@asahi/errors';
import { decideCache } from './cache-policy';
import type { Clock, ChatProvider, ExactCache, ProviderAnswer } from './ports';
import { accountCost } from './cost/index';
import { pricesOf } from './pricing';
import { buildResult } from './result-builder';

/**
 * The model registry prices are read from, as the tenant's prepare context sees it (cached by
 * the caller). Absent, empty or failing → the built-in catalog's prices.
 */
export type RegistrySource = (tenantId: string) => Promise<readonly ModelProfile[]>;

export interface DispatchPorts {
  provider: ChatProvider;
  cache: ExactCache;
  clock: Clock;
  registry?: RegistrySource;
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
  /** Call this model instead of the request's (a fallback); recorded in `report.fallback`. */
  model?: string;
  /** How the request is being run (execution, waits, fallback); carried onto the result. */
  report?: DispatchReport;
}

export type DispatchOutcome =
  /** A terminal result; `error` is set when it is a failure (the result carries its code). */
  | { kind: 'complete'; result: ResultMessage; error?: AppError }
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
  const body = input.model ? { ...request.body, model: input.model } : request.body;
  try {
    const answer = await ports.provider.complete(body, { timeoutMs: input.timeoutMs });
    const timings = { ...input.timings, provider: ports.clock.now() - started };
    const result = await answerResult({ ...input, timings }, answer, ports, {
      providerName: ports.provider.name,
    });
    return { kind: 'complete', result };
  } catch (err) {
    const error = toAppError(err);
    if (error.retryable && !input.isFinalAttempt) return { kind: 'retry', error };
    const timings = { ...input.timings, provider: ports.clock.now() - started };
    return {
      kind: 'complete',
      result: failedResult({ ...input, timings }, error, ports.clock, ports.provider.name),
      error,
    };
  }
}

/**
 * The terminal result of a provider answer (realtime or from a Batch API job), priced for its
 * execution, written to the exact cache under every key prepare asked for.
 */
export async function answerResult(
  input: Pick<
    DispatchInput,
    'request' | 'cacheKey' | 'attempt' | 'timings' | 'plan' | 'model' | 'report'
  >,
  answer: ProviderAnswer,
  ports: { cache: ExactCache; clock: Clock; registry?: RegistrySource | undefined },
  options: { providerName: string },
): Promise<ResultMessage> {
  const { request, plan } = input;
  const asked = input.model || request.body.model;
  const model = answer.output.model || asked;
  const registry = await registryOf(ports.registry, request.tenantId);
  const cost = accountCost({
    baselineModel: plan?.baselineModel ?? request.body.model,
    // The answering id is normally a snapshot of the asked model; one no price list knows
    // (a provider's new alias) is billed as the model we asked for, not as free.
    model: pricesOf(model, registry) ? model : asked,
    usage: answer.usage,
    tokens: plan?.tokens,
    batch: input.report?.execution === 'batch-api',
    registry,
  });
  const result = buildResult(request, {
    status: 'succeeded',
    completedAt: ports.clock.now(),
    model,
    provider: options.providerName,
    output: answer.output,
    usage: answer.usage,
    ...cost,
    attempts: input.attempt,
    timings: input.timings,
    routing: plan?.routing,
    tokens: plan?.tokens,
    dispatch: input.report,
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
  return result;
}

/** Pricing never fails a paid-for answer: an unreadable registry falls back to the catalog. */
async function registryOf(
  source: RegistrySource | undefined,
  tenantId: string,
): Promise<readonly ModelProfile[]> {
  if (!source) return [];
  try {
    return await source(tenantId);
  } catch {
    return [];
  }
}

/** The terminal failed result: the error's code and whether retrying the request could help. */
export function failedResult(
  input: Pick<DispatchInput, 'request' | 'attempt' | 'timings' | 'model' | 'report'>,
  error: AppError,
  clock: Clock,
  providerName: string,
): ResultMessage {
  return buildResult(input.request, {
    status: 'failed',
    completedAt: clock.now(),
    model: input.model ?? input.request.body.model,
    provider: providerName,
    attempts: input.attempt,
    timings: input.timings,
    error: { code: error.code, message: error.message, retryable: error.retryable },
    dispatch: input.report,
  });
}
