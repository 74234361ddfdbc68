import type { RequestMessage, StepRecord } from '@asahi/contracts';
import { AppError, toAppError } from '@asahi/errors';
import { decideCache } from '../cache-policy';
import type { ChatProvider, Clock, ExactCache } from '../ports';
import { costOf } from '../pricing';
import { renderStepPrompt, stepCacheKey, stepChatRequest } from './step-prompt';

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

export interface StepPorts {
  provider: ChatProvider;
  /** Step outputs, scoped by tenant like the exact cache (its own key space). */
  cache: ExactCache;
  clock: Clock;
  lock?: StepLock;
}

export interface RunStepInput {
  /** The request, with `steps` set to the steps being run (declared or decomposed). */
  request: RequestMessage;
  stepId: string;
  /** Output text of each dependency, by step id. */
  outputs: Readonly<Record<string, string>>;
  /** 1-based attempt of this step (0 is recorded for a cache hit). */
  attempt: number;
  timeoutMs: number;
}

export type StepOutcome =
  | { kind: 'done'; record: StepRecord; cacheKey: string }
  /** The caller rethrows it: retryable errors are retried by the queue, others end the request. */
  | { kind: 'error'; error: AppError };

/**
 * Runs one step: past the deadline → `deadline_exceeded`; the tenant's step cache when reads are
 * allowed; otherwise one provider call whose answer is cached when writes are allowed. A cache
 * hit costs 0 and remembers what the step cost when it was first computed.
 */
export async function runStep(input: RunStepInput, ports: StepPorts): Promise<StepOutcome> {
  const { request } = input;
  const started = ports.clock.now();
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
  const chat = stepChatRequest(step, prompt, request.body);
  const cacheKey = stepCacheKey(step.template, chat);
  const decision = decideCache(request);
  const hit = async () => {
    const cached = decision.read ? await ports.cache.get(request.tenantId, cacheKey) : null;
    if (!cached) return null;
    const record: StepRecord = {
      stepId: step.id,
      output: cached.output,
      usage: cached.usage,
      model: cached.model,
      provider: cached.provider,
      costUsd: 0,
      originalCostUsd: cached.costUsd,
      cached: true,
      attempts: 0,
      ms: ports.clock.now() - started,
    };
    return { kind: 'done' as const, record, cacheKey };
  };

  const first = await hit();
  if (first) return first;
  const timeoutMs = Math.max(1, Math.min(input.timeoutMs, remainingMs));
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
    const answer = await ports.provider.complete(chat, { timeoutMs });
    const model = answer.output.model || chat.model;
    const costUsd = costOf(model, answer.usage);
    const record: StepRecord = {
      stepId: step.id,
      output: answer.output,
      usage: answer.usage,
      model,
      provider: ports.provider.name,
      costUsd,
      originalCostUsd: costUsd,
      cached: false,
      attempts: input.attempt,
      ms: ports.clock.now() - started,
    };
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
    return { kind: 'done', record, cacheKey };
  } catch (err) {
    return error(toAppError(err));
  } finally {
    await lease?.release().catch(() => undefined);
  }
}

function error(err: AppError): StepOutcome {
  return { kind: 'error', error: err };
}
