import { AppError } from '@asahi/errors';
import {
  BATCH_API_MAX_LINES,
  type BatchPlan,
  type BatchPolicy,
  type Execution,
  type Flush,
  type FlushReason,
  type PendingItem,
} from './batch-plan.types';

/** How a held sub-group of one group waits and flushes. */
interface HoldSpec {
  execution: Execution;
  chunkSize: number;
  /** Size at which the whole remainder flushes (Batch API: minBatchApiSize). */
  flushAtSize: number;
  maxWaitMs: number;
  latestStart: (item: PendingItem) => number;
}

interface Part {
  flush: Omit<Flush, 'provider' | 'model' | 'endpoint' | 'paramsKey'>[];
  wakeAt: number | null;
}

/** Earliest deadline first, then id: the one order used everywhere in this module. */
export function compareEdf(a: PendingItem, b: PendingItem): number {
  if (a.deadlineAt !== b.deadlineAt) return a.deadlineAt - b.deadlineAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function chunk(
  members: PendingItem[],
  size: number,
  execution: Execution,
  reason: FlushReason,
): Part['flush'] {
  const out: Part['flush'] = [];
  for (let i = 0; i < members.length; i += size) {
    out.push({
      execution,
      reason,
      late: reason === 'past-deadline',
      members: members.slice(i, i + size),
    });
  }
  return out;
}

function minOf(values: number[]): number {
  return values.reduce((a, b) => (b < a ? b : a), Number.POSITIVE_INFINITY);
}

/**
 * Members that gain from waiting (Batch API or array). All of them flush on slack or max wait;
 * otherwise full chunks flush on size and the rest waits until its earliest trigger.
 */
function planHeld(members: PendingItem[], now: number, spec: HoldSpec): Part {
  if (members.length === 0) return { flush: [], wakeAt: null };
  const slackAt = minOf(members.map(spec.latestStart));
  const maxWaitAt = minOf(members.map((m) => m.enqueuedAt)) + spec.maxWaitMs;
  if (slackAt <= now)
    return { flush: chunk(members, spec.chunkSize, spec.execution, 'slack'), wakeAt: null };
  if (maxWaitAt <= now) {
    return { flush: chunk(members, spec.chunkSize, spec.execution, 'max-wait'), wakeAt: null };
  }
  const full = Math.floor(members.length / spec.chunkSize) * spec.chunkSize;
  const rest = members.slice(full);
  const flush = chunk(members.slice(0, full), spec.chunkSize, spec.execution, 'size');
  if (rest.length === 0) return { flush, wakeAt: null };
  if (rest.length >= spec.flushAtSize) {
    return {
      flush: [...flush, ...chunk(rest, spec.chunkSize, spec.execution, 'size')],
      wakeAt: null,
    };
  }
  const restSlackAt = minOf(rest.map(spec.latestStart));
  const restMaxWaitAt = minOf(rest.map((m) => m.enqueuedAt)) + spec.maxWaitMs;
  return { flush, wakeAt: Math.max(now, Math.min(restSlackAt, restMaxWaitAt)) };
}

/** One compatible group (same provider, model, endpoint, parameters), members in EDF order. */
function planGroup(members: PendingItem[], now: number, policy: BatchPolicy): Part {
  const batchLead = policy.expectedBatchTurnaroundMs + policy.marginMs;
  const late = members.filter((m) => m.deadlineAt <= now);
  const live = members.filter((m) => m.deadlineAt > now);
  const batchable = live.filter((m) => m.deadlineAt - now >= batchLead);
  const fast = live.filter((m) => m.deadlineAt - now < batchLead);

  const parts: Part[] = [
    { flush: chunk(late, policy.maxBatchSize, 'realtime', 'past-deadline'), wakeAt: null },
    planHeld(batchable, now, {
      execution: 'batch-api',
      chunkSize: policy.batchApiMaxLines,
      flushAtSize: policy.minBatchApiSize,
      maxWaitMs: policy.batchApiMaxWaitMs,
      latestStart: (m) => m.deadlineAt - batchLead,
    }),
  ];
  if (members[0]?.endpoint === 'embeddings') {
    parts.push(
      planHeld(fast, now, {
        execution: 'array',
        chunkSize: policy.maxArraySize,
        flushAtSize: policy.maxArraySize,
        maxWaitMs: policy.arrayMaxWaitMs,
        latestStart: (m) => m.deadlineAt - policy.realtimeAllowanceMs,
      }),
    );
  } else {
    parts.push({ flush: chunk(fast, policy.maxBatchSize, 'realtime', 'immediate'), wakeAt: null });
  }
  const waits = parts.map((p) => p.wakeAt).filter((w): w is number => w !== null);
  return { flush: parts.flatMap((p) => p.flush), wakeAt: waits.length ? Math.min(...waits) : null };
}

function checkPolicy(policy: BatchPolicy): void {
  const sizes = ['minBatchApiSize', 'batchApiMaxLines', 'maxArraySize', 'maxBatchSize'] as const;
  const durations = [
    'expectedBatchTurnaroundMs',
    'marginMs',
    'batchApiMaxWaitMs',
    'arrayMaxWaitMs',
    'realtimeAllowanceMs',
  ] as const;
  const bad = [
    ...sizes.filter((k) => !Number.isInteger(policy[k]) || policy[k] < 1),
    ...durations.filter((k) => !Number.isFinite(policy[k]) || policy[k] < 0),
    ...(policy.batchApiMaxLines > BATCH_API_MAX_LINES ? ['batchApiMaxLines'] : []),
  ];
  if (bad.length > 0) {
    throw new AppError('invalid_request', `invalid batch policy: ${bad.join(', ')}`, {
      details: { fields: bad },
    });
  }
}

const groupKey = (m: PendingItem): string =>
  JSON.stringify([m.provider, m.model, m.endpoint, m.paramsKey]);

/**
 * Pure batch planner: which pending requests to dispatch now, how, and when to look again.
 * See README.md in this folder for the rules.
 */
export function planBatches(pending: PendingItem[], now: number, policy: BatchPolicy): BatchPlan {
  checkPolicy(policy);
  const groups = new Map<string, PendingItem[]>();
  for (const item of [...pending].sort(compareEdf)) {
    const key = groupKey(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  const flush: Flush[] = [];
  let wakeAt: number | null = null;
  for (const members of groups.values()) {
    const head = members[0]!;
    const part = planGroup(members, now, policy);
    for (const f of part.flush) {
      flush.push({
        provider: head.provider,
        model: head.model,
        endpoint: head.endpoint,
        paramsKey: head.paramsKey,
        ...f,
      });
    }
    if (part.wakeAt !== null)
      wakeAt = wakeAt === null ? part.wakeAt : Math.min(wakeAt, part.wakeAt);
  }
  flush.sort((a, b) => compareEdf(a.members[0]!, b.members[0]!));
  return { flush, wakeAt };
}

/**
 * Whether one request, planned alone, would wait for (or go straight into) a Batch API job
 * rather than run now: what dispatch asks when a request arrives or comes back from a batch.
 */
export function waitsForBatch(item: PendingItem, now: number, policy: BatchPolicy): boolean {
  const { flush } = planBatches([item], now, policy);
  return flush.length === 0 || flush[0]!.execution === 'batch-api';
}
