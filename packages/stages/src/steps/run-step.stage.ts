import type { ChatRequest, RequestMessage, Step, StepRecord } from '@asahi/contracts';
import { AppError, toAppError } from '@asahi/errors';
import { decideCache, type CacheDecision } from '../cache-policy';
import type { ChatProvider, Clock, ExactCache, ProviderAnswer } from '../ports';
import { costOf } from '../pricing';
import { renderStepPrompt, stepCacheKey, stepChatRequest } from './step-prompt';
import { chooseStepModel, type StepContext } from './step-model';

/** A held in-flight claim on a step key; release it when the step is cached (or failed). */
export interface StepLease {
  release(): Promise<void>;
}

/**
 * Short per-tenant claim on a step key, so concurrent requests that share a step compute it once:
 * the others wait for the holder to release, then read the cache. Optional: without it, requests
 * that share a step at the same moment may each compute it.
 */
export interface StepLock {
  acquire(tenantId: string, key: string, ttlMs: number): Promise<StepLease | null>;
  /** Resolves when nobody holds the key any more, or after timeoutMs. */
  waitForRelease(tenantId: string, key: string, timeoutMs: number): Promise<void>;
}

export interface StepCallOptions {
  timeoutMs: number;
  /** The request's deadline (epoch ms): never wait past it. */
  deadlineAt: number;
  /** The queue will not retry this step: a retryable failure may go to the next fallback model. */
  isFinalAttempt: boolean;
}

export interface StepFallback {
  from: string;
  to: string;
  reason: 'circuit-open' | 'provider-error';
}

/** What one dispatched step call came to. */
export type StepCall =
  | {
      kind: 'answer';
      answer: ProviderAnswer;
      model: string;
      provider: string;
      fallback?: StepFallback;
    }
  /** Over a rate limit, or every breaker of the chain open: run the step again at `until`. */
  | { kind: 'wait'; until: number; reason: 'rate-limit' | 'circuit-open' }
  | { kind: 'error'; error: AppError };

/**
 * How a step's provider call goes out. The pipeline's dispatcher applies the shared provider/model
 * rate limits, circuit breakers and fallback chains of realtime dispatch; without one, the step
 * calls `provider` directly.
 */
export interface StepDispatcher {
  call(chat: ChatRequest, options: StepCallOptions): Promise<StepCall>;
}

export interface StepPorts {
  provider: ChatProvider;
  /** Step outputs, scoped by tenant like the exact cache (its own key space). */
  cache: ExactCache;
  clock: Clock;
  lock?: StepLock;
  dispatcher?: StepDispatcher;
}

export interface RunStepInput {
  /** The request, with `steps` set to the steps being run (declared or decomposed). */
  request: RequestMessage;
  stepId: string;
  /** Output text of each dependency, by step id. */
  outputs: Readonly<Record<string, string>>;
  /** 1-based attempt of this step (0 is recorded for a cache hit). */
  attempt: number;
  /** Last attempt the queue allows (default false). */
  isFinalAttempt?: boolean;
  timeoutMs: number;
  /** The tenant's policy (cache mode and TTL, routing) and the registry; absent → defaults. */
  context?: StepContext;
}

export type StepOutcome =
  | { kind: 'done'; record: StepRecord; cacheKey: string; fallback?: StepFallback }
  /** The step must run again at `until` (rate limit or open breakers); no attempt is used. */
  | { kind: 'wait'; until: number; reason: 'rate-limit' | 'circuit-open' }
  /** The caller rethrows it: retryable errors are retried by the queue, others end the request. */
  | { kind: 'error'; error: AppError };

/** One direct provider call: no shared limits, breakers or fallbacks (tests, single workers). */
export function directStepDispatcher(provider: ChatProvider): StepDispatcher {
  return {
    async call(chat, { timeoutMs }) {
      try {
        const answer = await provider.complete(chat, { timeoutMs });
        return { kind: 'answer', answer, model: chat.model, provider: provider.name };
      } catch (err) {
        return { kind: 'error', error: toAppError(err) };
      }
    },
  };
}

interface PreparedStep {
  step: Step;
  chat: ChatRequest;
  cacheKey: string;
  decision: CacheDecision;
  started: number;
  remainingMs: number;
}

/**
 * Runs one step: past the deadline → `deadline_exceeded`; the tenant's step cache when its cache
 * policy allows reads; otherwise one provider call through the dispatcher (which may ask to wait),
 * cached when writes are allowed, for the tenant's TTL. A cache hit costs 0 and remembers what
 * the step cost when it was first computed.
 */
export async function runStep(input: RunStepInput, ports: StepPorts): Promise<StepOutcome> {
  const prepared = prepareStep(input, ports.clock.now());
  if ('kind' in prepared) return prepared;
  const { request } = input;
  const { cacheKey, decision } = prepared;
  const hit = () => (decision.read ? cachedRecord(input, prepared, ports) : null);

  const first = await hit();
  if (first) return first;
  const timeoutMs = Math.max(1, Math.min(input.timeoutMs, prepared.remainingMs));
  let lease: StepLease | null = null;
  if (ports.lock && decision.write) {
    lease = await ports.lock.acquire(request.tenantId, cacheKey, timeoutMs + 5_000);
    if (!lease) {
      // Another request is computing this very step: wait for it, then take its answer. If it
      // failed (nothing cached), compute it here rather than fail this request too.
      await ports.lock.waitForRelease(request.tenantId, cacheKey, timeoutMs);
      const after = await hit();
      if (after) return after;
    } else {
      // The holder before us may have finished between our first look and the lock: look again.
      const cached = await hit();
      if (cached) {
        await lease.release().catch(() => undefined);
        return cached;
      }
    }
  }
  try {
    return await computeStep(input, prepared, ports, timeoutMs);
  } finally {
    await lease?.release().catch(() => undefined);
  }
}

/** Checks the deadline and the step, renders its prompt, chooses its model and its cache key. */
function prepareStep(input: RunStepInput, started: number): PreparedStep | StepOutcome {
  const { request } = input;
  const remainingMs = Date.parse(request.deadlineAt) - started;
  if (remainingMs <= 0)
    return error(
      new AppError('deadline_exceeded', 'The request reached its deadline before this step'),
    );
  const step = request.steps?.steps.find((s) => s.id === input.stepId);
  if (!request.steps || !step)
    return error(new AppError('invalid_request', `Unknown step "${input.stepId}"`));
  let prompt: string;
  try {
    prompt = renderStepPrompt(step.template, request.steps.input, input.outputs);
  } catch (err) {
    return error(new AppError('internal', toAppError(err).message));
  }
  const draft = stepChatRequest(step, prompt, request.body);
  const chosen = chooseStepModel(step, draft, request, input.context);
  if (!chosen.ok) return error(chosen.error);
  const chat = { ...draft, model: chosen.model };
  const decision = decideCache(request, input.context?.policy);
  return {
    step,
    chat,
    cacheKey: stepCacheKey(step.template, chat),
    decision,
    started,
    remainingMs,
  };
}

async function cachedRecord(
  input: RunStepInput,
  prepared: PreparedStep,
  ports: StepPorts,
): Promise<StepOutcome | null> {
  const cached = await ports.cache.get(input.request.tenantId, prepared.cacheKey);
  if (!cached) return null;
  const record: StepRecord = {
    stepId: prepared.step.id,
    output: cached.output,
    usage: cached.usage,
    model: cached.model,
    provider: cached.provider,
    costUsd: 0,
    originalCostUsd: cached.costUsd,
    cached: true,
    attempts: 0,
    ms: ports.clock.now() - prepared.started,
  };
  return { kind: 'done', record, cacheKey: prepared.cacheKey };
}

/** One dispatched call; the answer is cached (when allowed) under the key of the model that gave it. */
async function computeStep(
  input: RunStepInput,
  prepared: PreparedStep,
  ports: StepPorts,
  timeoutMs: number,
): Promise<StepOutcome> {
  const { request } = input;
  const { step, chat, decision } = prepared;
  const dispatcher = ports.dispatcher ?? directStepDispatcher(ports.provider);
  const call = await dispatcher.call(chat, {
    timeoutMs,
    deadlineAt: Date.parse(request.deadlineAt),
    isFinalAttempt: input.isFinalAttempt ?? false,
  });
  if (call.kind !== 'answer') return call;
  const { answer } = call;
  const model = answer.output.model || call.model;
  const costUsd = costOf(model, answer.usage, { registry: input.context?.registry });
  const record: StepRecord = {
    stepId: step.id,
    output: answer.output,
    usage: answer.usage,
    model,
    provider: call.provider,
    costUsd,
    originalCostUsd: costUsd,
    cached: false,
    attempts: input.attempt,
    ms: ports.clock.now() - prepared.started,
  };
  // A fallback model's answer is not the planned model's: it goes under its own model's key.
  const cacheKey =
    call.model === chat.model
      ? prepared.cacheKey
      : stepCacheKey(step.template, { ...chat, model: call.model });
  if (decision.write) {
    const entry = {
      ...answer,
      model,
      provider: record.provider,
      costUsd,
      cachedAt: new Date(ports.clock.now()).toISOString(),
    };
    // A failed cache write must not fail a paid-for answer.
    await ports.cache
      .set(request.tenantId, cacheKey, entry, decision.ttlSeconds)
      .catch(() => undefined);
  }
  return { kind: 'done', record, cacheKey, ...(call.fallback ? { fallback: call.fallback } : {}) };
}

function error(err: AppError): StepOutcome {
  return { kind: 'error', error: err };
}
