import { QUEUE_POLICIES, QUEUES, dispatchJobSchema } from '@asahi/contracts';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import { createWorker, type Redis } from '@asahi/queue';
import { dispatchRequest, type DispatchPorts } from '@asahi/stages';
import type { ResultPublisher } from './result-publisher';

export interface DispatchProcessorDeps {
  connection: Redis;
  prefix: string;
  logger: Logger;
  metrics: LlmMetrics;
  ports: DispatchPorts;
  publisher: ResultPublisher;
  timeoutMs: number;
  concurrency?: number;
}

/** Thin adapter: parse → dispatch stage → publish the terminal result, or throw to retry. */
export function startDispatchWorker(deps: DispatchProcessorDeps) {
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
      const wait = Math.max(0, ctx.startedAt - job.enqueuedAt);
      if (ctx.attempt === 1)
        deps.metrics.queueWait.observe({ queue: QUEUES.dispatch }, wait / 1000);
      deps.metrics.deadlineSlack.observe(
        { mode: request.mode },
        Math.max(0, Date.parse(request.deadlineAt) - ctx.startedAt) / 1000,
      );
      const timeoutMs = Math.min(deps.timeoutMs, QUEUE_POLICIES[QUEUES.dispatch].timeoutMs);
      const timings = { ...job.timings, [`${QUEUES.dispatch}.wait`]: wait };
      const outcome = await dispatchRequest(
        {
          request,
          cacheKey: job.cacheKey,
          attempt: ctx.attempt,
          isFinalAttempt: ctx.isFinalAttempt,
          timeoutMs,
          timings,
          ...(job.plan ? { plan: job.plan } : {}),
        },
        deps.ports,
      );
      const seconds = (Date.now() - ctx.startedAt) / 1000;
      deps.metrics.providerLatency.observe({ model: request.body.model }, seconds);
      if (outcome.kind === 'retry') {
        deps.metrics.providerCalls.inc({ model: request.body.model, outcome: outcome.error.code });
        deps.metrics.stageDuration.observe({ stage: 'dispatch', outcome: 'retry' }, seconds);
        log.warn(
          { code: outcome.error.code, retryAfterMs: outcome.error.retryAfterMs },
          'provider call failed, will retry',
        );
        throw outcome.error;
      }
      const { result } = outcome;
      deps.metrics.providerCalls.inc({
        model: request.body.model,
        outcome: result.error?.code ?? 'ok',
      });
      deps.metrics.stageDuration.observe({ stage: 'dispatch', outcome: result.status }, seconds);
      const finalResult = {
        ...result,
        timings: { ...result.timings, dispatch: Date.now() - ctx.startedAt },
      };
      await deps.publisher.publish(finalResult, [
        {
          type: 'provider.call',
          at: new Date(ctx.startedAt).toISOString(),
          data: {
            model: result.model,
            attempts: ctx.attempt,
            status: result.status,
            promptTokens: result.usage.promptTokens,
            completionTokens: result.usage.completionTokens,
          },
        },
      ]);
      log.info(
        { status: result.status, costUsd: result.costUsd, errorCode: result.error?.code },
        'request dispatched',
      );
      return { status: result.status };
    },
  });
}
