import { QUEUES, prepareJobSchema, type AuditEvent } from '@asahi/contracts';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import { createWorker, type Redis } from '@asahi/queue';
import {
  DEFAULT_CONTEXT,
  prepareRequest,
  type PrepareContext,
  type PrepareOutcome,
  type PreparePorts,
  type PrepareTrace,
} from '@asahi/stages';
import type { DispatchEnqueuer } from './dispatch-enqueue';
import type { ResultPublisher } from './result-publisher';
import type { StepsStarter } from './steps-flow';

export interface PrepareProcessorDeps {
  connection: Redis;
  prefix: string;
  logger: Logger;
  metrics: LlmMetrics;
  ports: PreparePorts;
  /** The tenant's policy and the model registry (cached by the caller). */
  contextFor?: (tenantId: string) => Promise<PrepareContext>;
  /** Puts the dispatch job on its queue with its scheduling priority. */
  enqueuer: DispatchEnqueuer;
  publisher: ResultPublisher;
  concurrency?: number;
  /** [tier-3 steps] Runs multi-step requests as a step flow (see steps-flow.ts). */
  steps?: StepsStarter;
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
      const context = deps.contextFor ? await deps.contextFor(request.tenantId) : DEFAULT_CONTEXT;
      const waitTimings = { [`${QUEUES.prepare}.wait`]: Math.max(0, wait) };
      const outcome = await prepareRequest(request, deps.ports, waitTimings, context);
      const prepareMs = Date.now() - ctx.startedAt;
      deps.metrics.stageDuration.observe(
        { stage: 'prepare', outcome: outcome.kind },
        prepareMs / 1000,
      );
      recordTrace(deps.metrics, outcome);
      if (outcome.kind === 'complete') {
        const result = {
          ...outcome.result,
          timings: { ...outcome.result.timings, prepare: prepareMs },
        };
        await deps.publisher.publish(result, auditOf(outcome, result.completedAt));
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
      const timings = { ...outcome.timings, prepare: prepareMs };
      // [tier-3 steps] Declared or safely decomposed steps run as a flow instead of one dispatch.
      const stepsOptions = { policy: context.policy, requestedModel: request.body.model };
      if (await deps.steps?.start(outcome.request, outcome.cacheKey, timings, stepsOptions))
        return { status: 'steps' };
      if (outcome.plan.routing)
        deps.metrics.routingDecisions.inc({
          mode: outcome.plan.routing.mode,
          task: outcome.plan.routing.taskType,
          model: outcome.plan.routing.model,
        });
      await deps.enqueuer.enqueue([
        {
          jobId: request.requestId,
          data: {
            request: outcome.request,
            cacheKey: outcome.cacheKey,
            enqueuedAt: Date.now(),
            timings,
            plan: outcome.plan,
          },
        },
      ]);
      return { status: 'dispatched' };
    },
  });
}

/** Cache tiers and enrichment (outcome and time, from the step timings) of one prepare run. */
export function recordTrace(metrics: LlmMetrics, outcome: PrepareOutcome) {
  const trace: PrepareTrace = outcome.trace;
  for (const tier of ['exact', 'canonical', 'semantic'] as const) {
    const lookup = trace[tier];
    if (lookup) metrics.cacheLookups.inc({ tier, outcome: lookup });
  }
  if (!trace.enrichment) return;
  metrics.enrichment.inc({ status: trace.enrichment });
  const timings = outcome.kind === 'dispatch' ? outcome.timings : outcome.result.timings;
  const ms = timings?.enrichment;
  if (ms !== undefined)
    metrics.enrichmentDuration.observe({ status: trace.enrichment }, Math.max(0, ms) / 1000);
}

function auditOf(
  outcome: Extract<PrepareOutcome, { kind: 'complete' }>,
  at: string,
): Pick<AuditEvent, 'type' | 'at' | 'data'>[] {
  if (!outcome.cacheHit) return [];
  const data: Record<string, unknown> = { tier: outcome.result.cacheTier };
  if (outcome.trace.similarity !== undefined) data.similarity = outcome.trace.similarity;
  return [{ type: 'cache.hit', at, data }];
}
