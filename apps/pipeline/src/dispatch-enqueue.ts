import { createHash } from 'node:crypto';
import type { DispatchJob } from '@asahi/contracts';
import { enqueueBulk, type Queue } from '@asahi/queue';
import {
  dispatchBand,
  priorityClassOf,
  queuePriority,
  type PendingItem,
  type QueuePriorityPolicy,
} from '@asahi/stages';
import type { RedisFairShare } from './adapters/redis-accumulator';

/**
 * Puts dispatch jobs on the queue with their scheduling priority (class band, the tenant's
 * fair-share rank, deadline): from then on the queue orders them, in Redis.
 */
export interface DispatchEnqueuer {
  enqueue(items: { jobId: string; data: DispatchJob }[]): Promise<void>;
  /** A job left the realtime backlog (answered, failed or accumulated for a batch). */
  left(job: DispatchJob): Promise<void>;
}

export function createDispatchEnqueuer(deps: {
  queue: Queue<DispatchJob>;
  fairShare: RedisFairShare;
  /** The tenant's fair-share weight (tenant policy; default 1). */
  weightOf(tenantId: string): Promise<number>;
  policy: QueuePriorityPolicy;
  now?: () => number;
}): DispatchEnqueuer {
  const now = deps.now ?? Date.now;
  const bandOf = (job: DispatchJob, at: number) =>
    dispatchBand(
      {
        priority: job.request.priority ?? priorityClassOf(job.request.mode),
        deadlineAt: Date.parse(job.request.deadlineAt),
        now: at,
      },
      deps.policy,
    );
  return {
    async enqueue(items) {
      const at = now();
      const prepared = await Promise.all(
        items.map(async ({ jobId, data }) => {
          const band = bandOf(data, at);
          const [rank, weight] = await Promise.all([
            deps.fairShare.enter(band, data.request.tenantId),
            deps.weightOf(data.request.tenantId),
          ]);
          const priority = queuePriority(
            {
              priority: band,
              rank,
              weight,
              deadlineAt: Date.parse(data.request.deadlineAt),
              now: at,
            },
            deps.policy,
          );
          return { jobId, data, priority };
        }),
      );
      await enqueueBulk(deps.queue, prepared);
    },
    left: (job) => deps.fairShare.leave(bandOf(job, now()), job.request.tenantId),
  };
}

/** Output-independent parameters are per line in a Batch API file, so chat groups by model only. */
export function pendingItemOf(job: DispatchJob, provider: string, now: number): PendingItem {
  const { request } = job;
  return {
    id: request.requestId,
    tenantId: request.tenantId,
    deadlineAt: Date.parse(request.deadlineAt),
    enqueuedAt: now,
    provider,
    model: request.body.model,
    endpoint: 'chat',
    paramsKey: '',
    estimatedTokens: estimateTokens(job),
    priority: request.priority ?? priorityClassOf(request.mode),
  };
}

/** Prompt tokens (prepare's count when it has one, else about 4 characters a token) + output cap. */
export function estimateTokens(job: DispatchJob): number {
  const prompt =
    job.plan?.tokens?.optimized ??
    Math.ceil(job.request.body.messages.reduce((n, m) => n + m.content.length, 0) / 4);
  return prompt + (job.request.body.max_tokens ?? 256);
}

export function groupOf(item: Pick<PendingItem, 'provider' | 'model' | 'endpoint' | 'paramsKey'>) {
  return [item.provider, item.model, item.endpoint, item.paramsKey].join('|');
}

/** BullMQ job ids may not contain ':'; group names (model names) can. */
export function groupToken(group: string): string {
  return createHash('sha256').update(group).digest('hex').slice(0, 16);
}
