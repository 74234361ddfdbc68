import { AppError, toAppError } from '@asahi/errors';
import type { LlmMetrics } from '@asahi/metrics';
import {
  breakerEventOf,
  canCall,
  candidateModels,
  pickModel,
  type ChatProvider,
  type ProviderAnswer,
  type StepCall,
  type StepCallOptions,
  type StepDispatcher,
  type StepFallback,
} from '@asahi/stages';
import type { ChatRequest } from '@asahi/contracts';
import type { RedisBreakers } from './adapters/redis-breaker';
import type { RedisRateLimiter } from './adapters/redis-rate-limiter';
import type { DispatchSettings } from './dispatch-settings';

export interface StepDispatcherDeps {
  provider: ChatProvider;
  /** The same Redis rate limiter, breakers and settings as realtime dispatch: one shared budget. */
  limiter: RedisRateLimiter;
  breakers: RedisBreakers;
  settings: Pick<DispatchSettings, 'limitsFor' | 'fallbackChains'>;
  metrics: LlmMetrics;
  /** Up to this much random delay is added to a wait, so parked steps do not wake together. */
  jitterMs?: number;
}

const DEFAULT_OUTPUT_TOKENS = 256;

/** About 4 characters a token for the prompt, plus the output cap: reserved, refunded after. */
export function estimateStepTokens(chat: ChatRequest): number {
  const chars = chat.messages.reduce((n, m) => n + m.content.length, 0);
  return Math.ceil(chars / 4) + (chat.max_tokens ?? DEFAULT_OUTPUT_TOKENS);
}

/**
 * A step's provider call under the controls of realtime dispatch (see dispatch.processor.ts):
 * the step's model, else the first model of its fallback chain whose breaker allows a call; the
 * shared provider/model rate limit (over it → `wait`: the step job is delayed in the queue, no
 * attempt used, no worker slot held); breaker events fed back; on the last attempt a retryable
 * failure moves on to the next model of the chain. Every breaker open → `wait` for the earliest
 * probe, or, when that is past the deadline, `unavailable`.
 */
export function createStepDispatcher(deps: StepDispatcherDeps): StepDispatcher {
  const { limiter, breakers, settings, metrics } = deps;
  const provider = deps.provider.name;
  const jitter = () => Math.floor(Math.random() * (deps.jitterMs ?? 250));

  /** The first candidate not failed whose breaker (read, not acquired) allows a call. */
  async function pickAvailable(planned: string, failed: Set<string>, open: Set<string>) {
    for (const model of candidateModels(planned, settings.fallbackChains)) {
      if (failed.has(model) || open.has(model)) continue;
      if (canCall(await breakers.get(provider, model), Date.now())) break;
      open.add(model);
    }
    return pickModel(planned, settings.fallbackChains, (m) => !open.has(m), failed);
  }

  async function call(chat: ChatRequest, options: StepCallOptions): Promise<StepCall> {
    const planned = chat.model;
    const tokens = estimateStepTokens(chat);
    const failed = new Set<string>();
    const open = new Set<string>();
    let lastError: AppError | undefined;
    for (;;) {
      const pick = await pickAvailable(planned, failed, open);
      if (!pick) break;
      const { model } = pick;
      const key = { provider, model };
      const limit = await limiter.tryAcquire(
        key,
        { requests: 1, tokens },
        settings.limitsFor(model),
      );
      if (!limit.ok) {
        metrics.rateLimitWaits.inc({ model, limited_by: limit.limitedBy });
        // The planned model waits in the queue (never past the deadline: the step then expires);
        // a fallback that is limited too is skipped.
        if (model === planned || failed.size === 0) {
          const until = Math.min(Date.now() + limit.retryAfterMs + jitter(), options.deadlineAt);
          return { kind: 'wait', until, reason: 'rate-limit' };
        }
        failed.add(model);
        continue;
      }
      // The breaker's own gate (an open breaker's first caller past retryAt becomes its probe).
      if (!(await breakers.acquire(provider, model)).ok) {
        await limiter.refund(key, { requests: 1, tokens }).catch(() => undefined);
        open.add(model);
        continue;
      }
      const started = Date.now();
      const outcome = await complete({ ...chat, model }, options.timeoutMs);
      metrics.providerLatency.observe({ model }, (Date.now() - started) / 1000);
      const event = outcome.error ? breakerEventOf(outcome.error.code) : 'success';
      if (event) await breakers.record(provider, model, event).catch(() => undefined);
      if (!outcome.error) {
        const used = outcome.answer.usage.totalTokens;
        if (used < tokens)
          await limiter.refund(key, { tokens: tokens - used }).catch(() => undefined);
        return answered(outcome.answer, planned, pick);
      }
      metrics.providerCalls.inc({ model, outcome: outcome.error.code });
      lastError = outcome.error;
      const hasNext =
        pickModel(planned, settings.fallbackChains, () => true, new Set([...failed, model])) !==
        null;
      // Before the last attempt the queue retries (with backoff ≥ retry-after) on the same model.
      if (!outcome.error.retryable || !options.isFinalAttempt || !hasNext)
        return { kind: 'error', error: outcome.error };
      failed.add(model);
    }

    return whenNoneCalled(planned, failed, lastError, options.deadlineAt);
  }

  /**
   * No model of the chain could be called. Every breaker open: wait in the queue for the earliest
   * probe, unless that is past the deadline — then a terminal error the client can act on (try
   * again later). Models that failed: the last failure.
   */
  async function whenNoneCalled(
    planned: string,
    failed: ReadonlySet<string>,
    lastError: AppError | undefined,
    deadlineAt: number,
  ): Promise<StepCall> {
    const retryAt = await earliestRetry(planned);
    if (retryAt < deadlineAt && failed.size === 0)
      return { kind: 'wait', until: retryAt + jitter(), reason: 'circuit-open' };
    const error =
      lastError ??
      new AppError(
        'unavailable',
        `Provider unavailable for ${planned} and its fallbacks (circuit open)`,
        { retryable: false },
      );
    return { kind: 'error', error };
  }

  function answered(
    answer: ProviderAnswer,
    planned: string,
    pick: { model: string; fallbackReason?: StepFallback['reason'] },
  ): StepCall {
    if (!pick.fallbackReason) return { kind: 'answer', answer, model: pick.model, provider };
    const fallback = { from: planned, to: pick.model, reason: pick.fallbackReason };
    metrics.fallbacks.inc(fallback);
    return { kind: 'answer', answer, model: pick.model, provider, fallback };
  }

  async function complete(chat: ChatRequest, timeoutMs: number) {
    try {
      return { answer: await deps.provider.complete(chat, { timeoutMs }), error: undefined };
    } catch (err) {
      return { answer: undefined, error: toAppError(err) };
    }
  }

  async function earliestRetry(planned: string): Promise<number> {
    const states = await Promise.all(
      candidateModels(planned, settings.fallbackChains).map((m) => breakers.get(provider, m)),
    );
    const times = states.map((s) => (s.status === 'open' ? s.retryAt : Date.now() + 1_000));
    return Math.min(...times);
  }

  return { call };
}
