import { randomBytes } from 'node:crypto';
import { QUEUES, batchJobSchema, type BatchJob, type DispatchJob } from '@asahi/contracts';
import type { DispatchBatchMemberRow, DispatchBatchRepository } from '@asahi/db';
import type { AppError } from '@asahi/errors';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import type { OpenAiBatchClient } from '@asahi/provider-openai';
import { createWorker, enqueueBulk, type JobContext, type Queue, type Redis } from '@asahi/queue';
import {
  answerResult,
  failedResult,
  nextReleaseAt,
  planBatches,
  waitsForBatch,
  releaseLateMembers,
  type Clock,
  type ExactCache,
  type Flush,
  type RegistrySource,
} from '@asahi/stages';
import type { AccumulatedEntry, RedisAccumulator } from './adapters/redis-accumulator';
import { createBatchScheduler } from './batch-scheduler';
import { pendingItemOf, type DispatchEnqueuer } from './dispatch-enqueue';
import type { DispatchSettings } from './dispatch-settings';
import type { ResultPublisher } from './result-publisher';

/**
 * Batch API dispatch, on queue `asahi-batches`:
 *  - `tick` plans one group of accumulated requests (`planBatches`) and flushes what is due:
 *    a Batch API job (recorded in PostgreSQL first, then submitted), or realtime dispatch jobs;
 *  - `batch` drives one Batch API job from its PostgreSQL state: submit (idempotent through the
 *    batch's metadata), poll, release members whose deadline the job would miss, collect.
 * Both wait in the queue (delayed jobs) between steps, so a worker that dies holds nothing: the
 * job comes back to another worker, which carries on from Redis and PostgreSQL.
 * Each member moves out of `in_batch` exactly once (a PostgreSQL conditional update), so a
 * request is answered — and billed — once, by the batch or by the realtime path, never both.
 */
export interface BatchProcessorDeps {
  connection: Redis;
  prefix: string;
  logger: Logger;
  metrics: LlmMetrics;
  batchQueue: Queue<BatchJob>;
  accumulator: RedisAccumulator;
  batches: DispatchBatchRepository;
  client: OpenAiBatchClient;
  enqueuer: DispatchEnqueuer;
  publisher: ResultPublisher;
  ports: { cache: ExactCache; clock: Clock; registry?: RegistrySource };
  providerName: string;
  settings: DispatchSettings;
}

const newBatchId = () => `bat_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;

export function startBatchWorker(deps: BatchProcessorDeps) {
  const { metrics, settings, logger } = deps;
  const scheduler = createBatchScheduler(deps);

  const toRealtime = async (
    rows: { requestId: string; payload: unknown }[],
    from: DispatchJob['fromBatch'] | undefined,
    suffix: string,
  ) => {
    await deps.enqueuer.enqueue(
      rows.map(({ requestId, payload }) => {
        const job = payload as DispatchJob;
        return {
          jobId: `${requestId}.${suffix}`,
          data: {
            ...job,
            route: 'realtime' as const,
            enqueuedAt: Date.now(),
            ...(from ? { fromBatch: from } : {}),
          },
        };
      }),
    );
  };

  async function tick(group: string, ctx: JobContext) {
    const ran = await deps.accumulator.withLock(group, 60_000, async () => {
      const entries = await deps.accumulator.list(group);
      const byId = new Map(entries.map((e) => [e.item.id, e]));
      const now = Date.now();
      const plan = planBatches(
        entries.map((e) => e.item),
        now,
        settings.batchPolicy,
      );
      for (const flush of plan.flush) await flushOne(group, flush, byId);
      if (plan.wakeAt !== null) await scheduler.scheduleTick(group, plan.wakeAt);
      return plan.flush.length;
    });
    if (ran === null) return ctx.delayUntil(Date.now() + 1_000); // another worker is planning it
    return { flushed: ran };
  }

  async function flushOne(group: string, flush: Flush, byId: Map<string, AccumulatedEntry>) {
    const entries = flush.members.map((m) => byId.get(m.id)!).filter(Boolean);
    const ids = entries.map((e) => e.item.id);
    metrics.batchSize.observe({ execution: flush.execution }, entries.length);
    if (flush.execution === 'batch-api') {
      const id = newBatchId();
      // PostgreSQL owns the members from here; then they leave Redis. A crash in between leaves
      // them in both: the next tick's batch skips them (one live batch per request) and drops them.
      const { memberIds } = await deps.batches.create({
        id,
        provider: flush.provider,
        model: flush.model,
        endpoint: flush.endpoint,
        expectedDoneAt: new Date(Date.now() + settings.batchPolicy.expectedBatchTurnaroundMs),
        members: entries.map((e) => ({
          requestId: e.item.id,
          tenantId: e.item.tenantId,
          customId: e.item.id,
          deadlineAt: new Date(e.item.deadlineAt),
          payload: e.job,
        })),
      });
      if (memberIds.length > 0)
        await enqueueBulk(deps.batchQueue, [
          { jobId: `batch.${id}`, data: { kind: 'batch', batchId: id } },
        ]);
      await deps.accumulator.remove(group, ids);
      logger.info(
        { batchId: id, members: memberIds.length, reason: flush.reason },
        'batch created',
      );
      return;
    }
    // Realtime (or array, which chat does not have): each member becomes a realtime dispatch job.
    await toRealtime(
      entries.map((e) => ({ requestId: e.item.id, payload: e.job })),
      undefined,
      'rt',
    );
    await deps.accumulator.remove(group, ids);
  }

  async function drive(batchId: string, ctx: JobContext) {
    const batch = await deps.batches.get(batchId);
    if (!batch || batch.status === 'finished' || batch.status === 'failed') return { done: true };
    const log = logger.child({ batchId, model: batch.model });
    let providerBatchId = batch.providerBatchId;
    let submittedAt = batch.submittedAt?.getTime() ?? Date.now();

    if (batch.status === 'created') {
      const members = await deps.batches.members(batchId, ['in_batch']);
      if (members.length === 0) {
        await deps.batches.finish(batchId, 'finished', new Date());
        return { done: true };
      }
      // Idempotent: a worker that died after creating the provider batch finds it by metadata.
      const found = await deps.client.findByMetadata('asahi_batch_id', batchId);
      const submitted =
        found ??
        (await deps.client
          .submit(
            members.map((m) => ({
              customId: m.customId,
              body: (m.payload as DispatchJob).request.body,
            })),
            { endpoint: 'chat', metadata: { asahi_batch_id: batchId } },
          )
          .catch(async (err: unknown) => {
            await deps.batches.recordAttempt(batchId, String((err as Error).message).slice(0, 500));
            throw err;
          }));
      submittedAt = Date.now();
      await deps.batches.markSubmitted(batchId, {
        providerBatchId: submitted.batchId,
        inputFileId: submitted.inputFileId,
        submittedAt: new Date(submittedAt),
      });
      providerBatchId = submitted.batchId;
      metrics.batchJobs.inc({ event: 'submitted' });
      log.info({ providerBatchId, members: members.length }, 'batch submitted');
    }

    const status = await deps.client.poll(providerBatchId!);
    await deps.batches.updateProviderStatus(batchId, status.status);
    const live = await deps.batches.members(batchId, ['in_batch']);

    if (!status.finished) {
      const running = {
        members: live.map((m) => ({ id: m.requestId, deadlineAt: m.deadlineAt.getTime() })),
        submittedAt,
        expectedDoneAt: batch.expectedDoneAt.getTime(),
      };
      const policy = { realtimeAllowanceMs: settings.batchPolicy.realtimeAllowanceMs };
      const late = releaseLateMembers(running, Date.now(), policy);
      if (late.length > 0) await release(batchId, live, late, 'late');
      const stillIn = live.length - late.length;
      if (stillIn <= 0) {
        // Everyone left for realtime: stop paying for the batch.
        await deps.client.cancel(providerBatchId!).catch(() => undefined);
        metrics.batchJobs.inc({ event: 'cancelled' });
      }
      const remaining = {
        ...running,
        members: running.members.filter((m) => !late.includes(m.id)),
      };
      const releaseAt = nextReleaseAt(remaining, Date.now(), policy);
      const nextPoll = Math.min(Date.now() + settings.pollMs, releaseAt ?? Infinity);
      return ctx.delayUntil(nextPoll);
    }

    // Finished: answers for members still in the batch; the rest go realtime or fail precisely.
    const collected =
      status.status === 'failed'
        ? { results: new Map(), missing: live.map((m) => m.customId), unattributedLines: 0 }
        : await deps.client.collect(providerBatchId!, { customIds: live.map((m) => m.customId) });
    metrics.batchJobs.inc({ event: status.status });
    const byCustom = new Map(live.map((m) => [m.customId, m]));
    const answered: DispatchBatchMemberRow[] = [];
    const retry: DispatchBatchMemberRow[] = [];
    const failed: { member: DispatchBatchMemberRow; error: AppError }[] = [];
    for (const [customId, item] of collected.results) {
      const member = byCustom.get(customId);
      if (!member) continue;
      if (item.ok) answered.push(member);
      else if (item.error.retryable) retry.push(member);
      else failed.push({ member, error: item.error });
    }
    const missing = collected.missing.map((c) => byCustom.get(c)).filter((m) => m !== undefined);

    const won = new Set(
      await deps.batches.transition(
        batchId,
        answered.map((m) => m.requestId),
        'answered',
      ),
    );
    await Promise.all(
      answered
        .filter((m) => won.has(m.requestId))
        .map(async (m) => {
          const job = m.payload as DispatchJob;
          const item = collected.results.get(m.customId)!;
          if (!item.ok) return;
          const result = await answerResult(
            {
              request: job.request,
              cacheKey: job.cacheKey,
              attempt: 1,
              timings: { ...job.timings, batch: Date.now() - submittedAt },
              ...(job.plan ? { plan: job.plan } : {}),
              report: { execution: 'batch-api', batchId },
            },
            item.answer,
            deps.ports,
            { providerName: deps.providerName },
          );
          await deps.publisher.publish(result, [
            {
              type: 'provider.call',
              at: result.completedAt,
              data: { model: result.model, execution: 'batch-api', batchId },
            },
          ]);
        }),
    );
    const failedWon = new Set(
      await deps.batches.transition(
        batchId,
        failed.map((f) => f.member.requestId),
        'failed',
      ),
    );
    await Promise.all(
      failed
        .filter((f) => failedWon.has(f.member.requestId))
        .map((f) => {
          const job = f.member.payload as DispatchJob;
          return deps.publisher.publish(
            failedResult(
              {
                request: job.request,
                attempt: 1,
                timings: job.timings,
                report: { execution: 'batch-api', batchId },
              },
              f.error,
              deps.ports.clock,
              deps.providerName,
            ),
            [],
          );
        }),
    );
    await release(
      batchId,
      live,
      retry.map((m) => m.requestId),
      'batch-item-failed',
      'requeued',
    );
    await release(
      batchId,
      live,
      missing.map((m) => m.requestId),
      'batch-missing',
      'requeued',
    );
    await deps.batches.finish(
      batchId,
      status.status === 'failed' ? 'failed' : 'finished',
      new Date(),
    );
    log.info(
      {
        status: status.status,
        answered: won.size,
        failed: failedWon.size,
        retried: retry.length,
        missing: missing.length,
      },
      'batch collected',
    );
    return { done: true };
  }

  async function release(
    batchId: string,
    live: DispatchBatchMemberRow[],
    ids: string[],
    reason: NonNullable<DispatchJob['fromBatch']>['reason'],
    to: 'released' | 'requeued' = 'released',
  ) {
    if (ids.length === 0) return;
    const moved = new Set(await deps.batches.transition(batchId, ids, to));
    const rows = live.filter((m) => moved.has(m.requestId));
    metrics.batchReleases.inc({ reason }, rows.length);
    // An item that failed or never ran, with slack for another batch, waits for the next one
    // (half price still); the rest go realtime.
    const now = Date.now();
    const realtime: DispatchBatchMemberRow[] = [];
    for (const m of rows) {
      const job = m.payload as DispatchJob;
      const item = pendingItemOf(job, deps.providerName, now);
      if (reason !== 'late' && waitsForBatch(item, now, settings.batchPolicy))
        await scheduler.accumulate({ job, item });
      else realtime.push(m);
    }
    await toRealtime(realtime, { batchId, reason }, `rel`);
  }

  return createWorker({
    name: QUEUES.batches,
    schema: batchJobSchema,
    connection: deps.connection,
    prefix: deps.prefix,
    logger,
    handle: (job, ctx): Promise<unknown> =>
      job.kind === 'tick' ? tick(job.group, ctx) : drive(job.batchId, ctx),
  });
}
