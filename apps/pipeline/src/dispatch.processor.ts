import {
  QUEUE_POLICIES,
  QUEUES,
  dispatchJobSchema,
  type DispatchJob,
  type DispatchReport,
  type ResultMessage,
} from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import { createWorker, type JobContext, type Queue, type Redis } from '@asahi/queue';
import { deadLetter } from './final-failure';
import {
  breakerEventOf,
  canCall,
  candidateModels,
  dispatchRequest,
  failedResult,
  pickModel,
  waitsForBatch,
  type DispatchPorts,
  type PendingItem,
} from '@asahi/stages';
import type { RedisBreakers } from './adapters/redis-breaker';
import type { RedisRateLimiter } from './adapters/redis-rate-limiter';
import { estimateTokens, pendingItemOf, type DispatchEnqueuer } from './dispatch-enqueue';
import type { DispatchSettings } from './dispatch-settings';
import type { ResultPublisher } from './result-publisher';

export interface DispatchProcessorDeps {
  connection: Redis;
  prefix: string;
  logger: Logger;
  metrics: LlmMetrics;
  ports: DispatchPorts;
  publisher: ResultPublisher;
  timeoutMs: number;
  concurrency?: number | undefined;
  limiter: RedisRateLimiter;
  breakers: RedisBreakers;
  settings: DispatchSettings;
  enqueuer: DispatchEnqueuer;
  /** Hands a request with enough slack to Batch API batching; absent = realtime only. */
  accumulate?: (job: DispatchJob, item: PendingItem) => Promise<void>;
  /** Where requests that failed after their last attempt are kept for inspection and replay. */
  dead?: { deadQueue: Queue<unknown>; metrics: LlmMetrics };
}

/**
 * The dispatch pool. A request with enough deadline slack goes to Batch API batching (cheaper);
 * every other one is called realtime: inside the provider/model rate limits shared through Redis
 * (over the limit, the job goes back to the queue, delayed, without using an attempt), through
 * the first model of its fallback chain whose breaker allows it, with retries (full-jitter
 * backoff that honours retry-after) and a terminal result whatever happens.
 */
export function startDispatchWorker(deps: DispatchProcessorDeps) {
  const { metrics, settings } = deps;
  const provider = deps.ports.provider.name;

  const publish = async (
    job: DispatchJob,
    result: ResultMessage,
    ctx: JobContext,
    error?: AppError,
  ) => {
    const final = {
      ...result,
      timings: { ...result.timings, dispatch: Date.now() - ctx.startedAt },
    };
    await deps.publisher.publish(final, [
      {
        type: 'provider.call',
        at: new Date(ctx.startedAt).toISOString(),
        data: {
          model: result.model,
          attempts: ctx.attempt,
          status: result.status,
          promptTokens: result.usage.promptTokens,
          completionTokens: result.usage.completionTokens,
          dispatch: result.dispatch,
        },
      },
    ]);
    await deps.enqueuer.left(job).catch(() => undefined);
    if (deps.dead && error?.retryable)
      deadLetter(deps.dead, deps.logger, {
        queue: QUEUES.dispatch,
        jobId: ctx.jobId,
        data: job,
        error,
        attemptsMade: ctx.attempt,
      });
    return { status: result.status };
  };

  return createWorker({
    name: QUEUES.dispatch,
    schema: dispatchJobSchema,
    connection: deps.connection,
    prefix: deps.prefix,
    logger: deps.logger,
    ...(deps.concurrency ? { concurrency: deps.concurrency } : {}),
    handle: async (job, ctx) => {
      const { request } = job;
      const log = deps.logger.child({
        requestId: request.requestId,
        tenantId: request.tenantId,
        stage: 'dispatch',
        attempt: ctx.attempt,
      });
      const now = Date.now();
      const deadlineAt = Date.parse(request.deadlineAt);

      // 1. Enough slack for the Batch API? Then it waits for company, in Redis, not here.
      //    Interactive requests never wait for a batch: their caller is blocked on the answer.
      const item = pendingItemOf(job, provider, now);
      if (
        (job.route ?? 'auto') === 'auto' &&
        deps.accumulate &&
        ctx.attempt === 1 &&
        item.priority !== 'interactive'
      ) {
        if (waitsForBatch(item, now, settings.batchPolicy)) {
          await deps.accumulate(job, item);
          await deps.enqueuer.left(job).catch(() => undefined);
          log.debug('accumulated for the Batch API');
          return { status: 'accumulated' };
        }
      }

      const waited = Math.max(0, ctx.startedAt - job.enqueuedAt);
      if (ctx.attempt === 1 && !job.rateLimitWaitMs)
        metrics.queueWait.observe({ queue: QUEUES.dispatch }, waited / 1000);
      // A call may use at most half the time left (a retry still fits), never under 1 s.
      const timeoutMs = Math.min(
        deps.timeoutMs,
        QUEUE_POLICIES[QUEUES.dispatch].timeoutMs,
        Math.max(1_000, Math.floor((deadlineAt - now) / 2)),
      );
      const timings = { ...job.timings, [`${QUEUES.dispatch}.wait`]: waited };
      const planned = request.body.model;
      const tokens = estimateTokens(job);
      const failedModels = new Set<string>();
      let lastError: AppError | undefined;

      // 2. The planned model, else the next in its chain whose breaker allows a call.
      const open = new Set<string>();
      for (;;) {
        const pick = await pickAvailable(planned, failedModels, open);
        if (!pick) break;
        const model = pick.model;

        // 3. Rate limits, shared by every worker. The planned model waits in the queue; a
        //    fallback that is limited too is skipped.
        const limit = await deps.limiter.tryAcquire(
          { provider, model },
          { requests: 1, tokens },
          settings.limitsFor(model),
        );
        if (!limit.ok) {
          metrics.rateLimitWaits.inc({ model, limited_by: limit.limitedBy });
          if (model === planned || failedModels.size === 0) {
            const delay = limit.retryAfterMs + Math.floor(Math.random() * 250);
            return ctx.delayUntil(Date.now() + delay, {
              rateLimitWaitMs: (job.rateLimitWaitMs ?? 0) + delay,
            });
          }
          failedModels.add(model);
          continue;
        }
        // The breaker's own gate (an open breaker's first caller past retryAt becomes its probe).
        if (!(await deps.breakers.acquire(provider, model)).ok) {
          await deps.limiter
            .refund({ provider, model }, { requests: 1, tokens })
            .catch(() => undefined);
          open.add(model);
          continue;
        }

        const report: DispatchReport = {
          execution: 'realtime',
          ...(job.fromBatch
            ? { batchId: job.fromBatch.batchId, releasedFromBatch: job.fromBatch.reason }
            : {}),
          ...(job.rateLimitWaitMs ? { rateLimitWaitMs: job.rateLimitWaitMs } : {}),
          ...(pick.fallbackReason
            ? { fallback: { from: planned, to: model, reason: pick.fallbackReason } }
            : {}),
        };
        metrics.deadlineSlack.observe({ mode: request.mode }, Math.max(0, deadlineAt - now) / 1000);
        const started = Date.now();
        const hasNext =
          pickModel(
            planned,
            settings.fallbackChains,
            () => true,
            new Set([...failedModels, model]),
          ) !== null;
        const outcome = await dispatchRequest(
          {
            request,
            cacheKey: job.cacheKey,
            attempt: ctx.attempt,
            isFinalAttempt: ctx.isFinalAttempt,
            timeoutMs,
            timings,
            ...(job.plan ? { plan: job.plan } : {}),
            ...(model !== planned ? { model } : {}),
            report,
          },
          deps.ports,
        );
        metrics.providerLatency.observe({ model }, (Date.now() - started) / 1000);
        const error = outcome.error;
        const event = error ? breakerEventOf(error.code) : 'success';
        if (event) await deps.breakers.record(provider, model, event).catch(() => undefined);
        metrics.providerCalls.inc({ model, outcome: error?.code ?? 'ok' });
        if (outcome.kind === 'complete' && !error) {
          const used = outcome.result.usage.totalTokens;
          if (used < tokens)
            await deps.limiter
              .refund({ provider, model }, { tokens: tokens - used })
              .catch(() => undefined);
          if (report.fallback) metrics.fallbacks.inc(report.fallback);
          if (job.rateLimitWaitMs)
            metrics.rateLimitWaitSeconds.observe({ model }, job.rateLimitWaitMs / 1000);
          metrics.batchSize.observe({ execution: 'realtime' }, 1);
          metrics.stageDuration.observe(
            { stage: 'dispatch', outcome: 'succeeded' },
            (Date.now() - ctx.startedAt) / 1000,
          );
          log.info(
            { model, costUsd: outcome.result.costUsd, fallback: report.fallback },
            'request dispatched',
          );
          return publish(job, outcome.result, ctx);
        }
        lastError = error;
        if (outcome.kind === 'retry') {
          metrics.stageDuration.observe(
            { stage: 'dispatch', outcome: 'retry' },
            (Date.now() - ctx.startedAt) / 1000,
          );
          log.warn(
            { code: outcome.error.code, retryAfterMs: outcome.error.retryAfterMs, model },
            'provider call failed, will retry',
          );
          throw outcome.error;
        }
        // Final attempt failed (or a non-retryable error): the next model in the chain, if any.
        if (!error?.retryable || !hasNext) {
          metrics.stageDuration.observe(
            { stage: 'dispatch', outcome: 'failed' },
            (Date.now() - ctx.startedAt) / 1000,
          );
          log.warn({ code: error?.code, model }, 'request failed');
          return publish(job, outcome.result, ctx, error);
        }
        failedModels.add(model);
      }

      // 4. Every breaker in the chain is open: wait in the queue for the earliest probe, unless
      //    that is past the deadline — then a terminal error the client can act on (retry later).
      const retryAt = await earliestRetry(planned);
      if (retryAt < deadlineAt && failedModels.size === 0)
        return ctx.delayUntil(retryAt + Math.floor(Math.random() * 250));
      const error =
        lastError ??
        new AppError(
          'unavailable',
          `Provider unavailable for ${planned} and its fallbacks (circuit open)`,
          {
            retryable: true,
          },
        );
      return publish(
        job,
        failedResult(
          { request, attempt: ctx.attempt, timings, report: { execution: 'realtime' } },
          error,
          deps.ports.clock,
          provider,
        ),
        ctx,
        error,
      );
    },
  });

  /**
   * The first candidate not failed and whose breaker (read, not yet acquired) allows a call.
   * Breakers are read in chain order and only until one allows: usually one read.
   */
  async function pickAvailable(planned: string, failed: ReadonlySet<string>, open: Set<string>) {
    for (const model of candidateModels(planned, settings.fallbackChains)) {
      if (failed.has(model) || open.has(model)) continue;
      if (canCall(await deps.breakers.get(provider, model), Date.now())) break;
      open.add(model);
    }
    return pickModel(planned, settings.fallbackChains, (m) => !open.has(m), failed);
  }

  async function earliestRetry(planned: string): Promise<number> {
    const states = await Promise.all(
      candidateModels(planned, settings.fallbackChains).map((m) => deps.breakers.get(provider, m)),
    );
    const times = states.map((s) => (s.status === 'open' ? s.retryAt : Date.now() + 1_000));
    return Math.min(...times);
  }
}
