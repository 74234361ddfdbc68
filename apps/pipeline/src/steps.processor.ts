import {
  QUEUE_POLICIES,
  QUEUES,
  parseWith,
  stepJobReturnSchema,
  stepJobSchema,
  type AuditEvent,
  type ResultMessage,
  type StepJob,
  type StepJobReturn,
  type StepRecord,
} from '@asahi/contracts';
import { AppError, isAppError } from '@asahi/errors';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import { createWorker, type Job, type JobContext, type Redis, type Worker } from '@asahi/queue';
import {
  assembleStepsResult,
  decideCache,
  runStep,
  stepFailureResult,
  type ExactCache,
  type StepContext,
  type StepPorts,
} from '@asahi/stages';
import type { ResultPublisher } from './result-publisher';

export interface StepsProcessorDeps {
  connection: Redis;
  prefix: string;
  logger: Logger;
  metrics: LlmMetrics;
  /**
   * `cache` is the step cache; `exactCache` receives the final answer of decomposed requests;
   * `dispatcher` puts each provider call under dispatch's shared rate limits, breakers and
   * fallback chains (see step-dispatch.ts; absent → direct calls).
   */
  ports: StepPorts & { exactCache: ExactCache };
  /** The tenant's policy (cache mode and TTL, routing) and the model registry; absent → defaults. */
  contextFor?: (tenantId: string) => Promise<StepContext>;
  publisher: ResultPublisher;
  timeoutMs: number;
  concurrency?: number | undefined;
}

const DEFAULT_STEP_CONTEXT: StepContext = { policy: { cache: {}, routing: {} }, registry: [] };

/**
 * The step pool (queue `asahi-steps`), a thin adapter over the steps stages. A `step` job reads its
 * dependencies' records from its flow children, runs the step (step cache or one provider call)
 * and returns its records for the job above. The root `assemble` job builds and publishes the
 * terminal result. Errors are thrown for the queue: retryable ones are retried, and a job that
 * fails for good ends the request through `publishOnStepFailure`.
 */
export function startStepsWorker(deps: StepsProcessorDeps): Worker {
  // Why a step failed for good, by job id, for publishOnStepFailure: BullMQ reports a
  // non-retryable error as a plain UnrecoverableError, which no longer carries its code.
  const causes = new Map<string, AppError>();
  const worker = createWorker({
    name: QUEUES.steps,
    schema: stepJobSchema,
    connection: deps.connection,
    prefix: deps.prefix,
    logger: deps.logger,
    ...(deps.concurrency ? { concurrency: deps.concurrency } : {}),
    handle: async (job, ctx) => {
      if (ctx.attempt === 1)
        deps.metrics.queueWait.observe(
          { queue: QUEUES.steps },
          Math.max(0, ctx.startedAt - job.enqueuedAt) / 1000,
        );
      const records = await childRecords(ctx);
      const context = deps.contextFor
        ? await deps.contextFor(job.request.tenantId)
        : DEFAULT_STEP_CONTEXT;
      return job.kind === 'step'
        ? handleStep(deps, job, records, ctx, context, causes)
        : handleAssemble(deps, job, records, ctx, context);
    },
  });
  publishOnStepFailure(worker, deps.publisher, deps.logger, causes);
  return worker;
}

async function handleStep(
  deps: StepsProcessorDeps,
  job: Extract<StepJob, { kind: 'step' }>,
  records: Record<string, StepRecord>,
  ctx: JobContext,
  context: StepContext,
  causes: Map<string, AppError>,
): Promise<StepJobReturn> {
  const outputs = Object.fromEntries(
    Object.values(records).map((r) => [r.stepId, r.output.content]),
  );
  const timeoutMs = Math.min(deps.timeoutMs, QUEUE_POLICIES[QUEUES.steps].timeoutMs);
  const input = {
    request: job.request,
    stepId: job.stepId,
    outputs,
    attempt: ctx.attempt,
    isFinalAttempt: ctx.isFinalAttempt,
    timeoutMs,
    context,
  };
  const outcome = await runStep(input, deps.ports);
  const seconds = (Date.now() - ctx.startedAt) / 1000;
  if (outcome.kind === 'wait') {
    // Over a rate limit or behind open breakers: back to the queue, delayed, without using an
    // attempt or holding a worker slot; the parent keeps waiting for this child.
    deps.metrics.stageDuration.observe({ stage: 'step', outcome: 'wait' }, seconds);
    deps.logger.debug(
      { ...logFields(job), reason: outcome.reason, until: outcome.until },
      'step delayed',
    );
    return ctx.delayUntil(outcome.until);
  }
  if (outcome.kind === 'error') {
    const { error } = outcome;
    deps.metrics.stageDuration.observe({ stage: 'step', outcome: 'error' }, seconds);
    deps.logger.warn(
      { ...logFields(job), attempt: ctx.attempt, code: error.code, retryable: error.retryable },
      'step failed',
    );
    if (!error.retryable || ctx.isFinalAttempt) causes.set(ctx.jobId, error);
    throw error;
  }
  const { record } = outcome;
  deps.metrics.cacheLookups.inc({ tier: 'intermediate', outcome: record.cached ? 'hit' : 'miss' });
  if (!record.cached) deps.metrics.providerCalls.inc({ model: record.model, outcome: 'ok' });
  deps.metrics.stageDuration.observe(
    { stage: 'step', outcome: record.cached ? 'hit' : 'computed' },
    seconds,
  );
  const { cached, model, costUsd } = record;
  const fields = { ...logFields(job), cached, model, costUsd, fallback: outcome.fallback };
  deps.logger.info(fields, 'step done');
  return { records: { ...records, [record.stepId]: record } };
}

async function handleAssemble(
  deps: StepsProcessorDeps,
  job: Extract<StepJob, { kind: 'assemble' }>,
  records: Record<string, StepRecord>,
  ctx: JobContext,
  context: StepContext,
): Promise<{ status: ResultMessage['status'] }> {
  const { request } = job;
  const wait = Math.max(0, ctx.startedAt - job.enqueuedAt);
  const timings = { ...job.timings, [`${QUEUES.steps}.wait`]: wait };
  const result = assembleStepsResult(request, records, deps.ports.clock.now(), timings);
  const decision = decideCache(request, context.policy);
  if (job.cacheKey && decision.write && result.output) {
    const answer = {
      output: result.output,
      usage: result.usage,
      model: result.model,
      provider: result.provider,
      costUsd: result.baselineCostUsd,
      cachedAt: result.completedAt,
    };
    await deps.ports.exactCache
      .set(request.tenantId, job.cacheKey, answer, decision.ttlSeconds)
      .catch(() => undefined); // a cache write failure must not fail a finished request
  }
  await deps.publisher.publish(result, auditOf(Object.values(records), result.completedAt));
  deps.metrics.stageDuration.observe(
    { stage: 'assemble', outcome: result.status },
    (Date.now() - ctx.startedAt) / 1000,
  );
  deps.logger.info(
    {
      ...logFields(job),
      cacheTier: result.cacheTier,
      costUsd: result.costUsd,
      savings: result.savings,
    },
    'steps assembled',
  );
  return { status: result.status };
}

/** Merges the records returned by the flow children (each carries its own subtree's records). */
async function childRecords(ctx: JobContext): Promise<Record<string, StepRecord>> {
  const merged: Record<string, StepRecord> = {};
  for (const value of Object.values(await ctx.childrenValues())) {
    const parsed = parseWith(stepJobReturnSchema, value);
    if (!parsed.ok) throw new AppError('internal', `invalid step record: ${parsed.reason}`);
    Object.assign(merged, parsed.value.records);
  }
  return merged;
}

function auditOf(records: StepRecord[], at: string): Pick<AuditEvent, 'type' | 'at' | 'data'>[] {
  const cached = records.filter((r) => r.cached);
  const computed = records.filter((r) => !r.cached);
  const events: Pick<AuditEvent, 'type' | 'at' | 'data'>[] = [];
  if (cached.length > 0)
    events.push({
      type: 'cache.hit',
      at,
      data: { tier: 'intermediate', steps: cached.map((r) => r.stepId) },
    });
  if (computed.length > 0)
    events.push({
      type: 'provider.call',
      at,
      data: {
        steps: computed.map((r) => r.stepId),
        models: [...new Set(computed.map((r) => r.model))],
        attempts: computed.reduce((n, r) => n + r.attempts, 0),
        promptTokens: computed.reduce((n, r) => n + r.usage.promptTokens, 0),
        completionTokens: computed.reduce((n, r) => n + r.usage.completionTokens, 0),
      },
    });
  return events;
}

function logFields(job: StepJob) {
  return {
    requestId: job.request.requestId,
    tenantId: job.request.tenantId,
    stage: 'steps',
    ...(job.kind === 'step' ? { step: job.stepId } : {}),
  };
}

/**
 * A step (or assemble) job that BullMQ gives up on ends the request: `failed` with `step_failed`
 * and the step id, or `expired` once the deadline has passed. Its parents then fail too
 * (failParentOnFailure, with a deferred failure) and publish nothing.
 */
export function publishOnStepFailure(
  worker: Worker,
  publisher: ResultPublisher,
  logger: Logger,
  causes: Map<string, AppError> = new Map(),
) {
  worker.on('failed', (job: Job | undefined, err: Error) => {
    const cause = job?.id === undefined ? undefined : causes.get(job.id);
    if (job?.id !== undefined) causes.delete(job.id);
    // A parent failed by its child (failParentOnFailure) carries a deferred failure: the child
    // has already ended the request, so only the job that failed by itself publishes.
    if (!job || job.deferredFailure) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
    if (!final) return;
    const parsed = parseWith(stepJobSchema, job.data);
    if (!parsed.ok) {
      logger.error(
        { jobId: job.id, reason: parsed.reason },
        'failed step job has no valid payload',
      );
      return;
    }
    const data = parsed.value;
    const result = stepFailureResult(data.request, {
      stepId: data.kind === 'step' ? data.stepId : null,
      cause: err.message,
      causeCode: (isAppError(err) ? err : cause)?.code,
      attempts: job.attemptsMade,
      now: Date.now(),
    });
    publisher
      .publish(result, [])
      .catch((e: unknown) =>
        logger.error({ err: e, jobId: job.id }, 'could not publish step failure'),
      );
  });
}
