import { QUEUES, prepareJobSchema, type DispatchJob } from '@asahi/contracts';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import { createWorker, enqueueBulk, type Queue, type Redis } from '@asahi/queue';
import { prepareRequest, type PreparePorts } from '@asahi/stages';
import { priorityOf } from './intake';
import type { ResultPublisher } from './result-publisher';

export interface PrepareProcessorDeps {
  connection: Redis;
  prefix: string;
  logger: Logger;
  metrics: LlmMetrics;
  ports: PreparePorts;
  dispatchQueue: Queue<DispatchJob>;
  publisher: ResultPublisher;
  concurrency?: number;
}

/** Thin adapter: parse → prepare stage → route the outcome (publish a result or enqueue dispatch). */
export function startPrepareWorker(deps: PrepareProcessorDeps) {
  return createWorker({
    name: QUEUES.prepare,
    schema: prepareJobSchema,
    connection: deps.connection,
    prefix: deps.prefix,
    logger: deps.logger,
    ...(deps.concurrency ? { concurrency: deps.concurrency } : {}),
    handle: async ({ request, enqueuedAt }, ctx) => {
      const wait = ctx.startedAt - enqueuedAt;
      deps.metrics.queueWait.observe({ queue: QUEUES.prepare }, wait / 1000);
      const outcome = await prepareRequest(request, deps.ports, {
        [`${QUEUES.prepare}.wait`]: Math.max(0, wait),
      });
      const prepareMs = Date.now() - ctx.startedAt;
      deps.metrics.stageDuration.observe(
        { stage: 'prepare', outcome: outcome.kind },
        prepareMs / 1000,
      );
      if (outcome.kind === 'complete') {
        deps.metrics.cacheLookups.inc({
          tier: 'exact',
          outcome: outcome.cacheHit ? 'hit' : 'skip',
        });
        const result = {
          ...outcome.result,
          timings: { ...outcome.result.timings, prepare: prepareMs },
        };
        await deps.publisher.publish(
          result,
          outcome.cacheHit
            ? [{ type: 'cache.hit', at: result.completedAt, data: { tier: 'exact' } }]
            : [],
        );
        deps.logger.info(
          {
            requestId: request.requestId,
            tenantId: request.tenantId,
            stage: 'prepare',
            status: result.status,
            cacheTier: result.cacheTier,
          },
          'request completed in prepare',
        );
        return { status: result.status };
      }
      deps.metrics.cacheLookups.inc({ tier: 'exact', outcome: outcome.cacheKey ? 'miss' : 'skip' });
      const timings = { [`${QUEUES.prepare}.wait`]: Math.max(0, wait), prepare: prepareMs };
      await enqueueBulk(deps.dispatchQueue, [
        {
          jobId: request.requestId,
          data: { request, cacheKey: outcome.cacheKey, enqueuedAt: Date.now(), timings },
          priority: priorityOf(request),
        },
      ]);
      return { status: 'dispatched' };
    },
  });
}
