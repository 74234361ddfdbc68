import type { PriorityClass } from '@asahi/contracts';

/**
 * The BullMQ priority of a realtime dispatch job (lower runs first; BullMQ allows 1 … 2^21).
 * The queue itself then does the scheduling while jobs wait in Redis: no process holds them.
 *
 * Three parts, most significant first:
 *  1. the class band: interactive, standard, background. A request whose latest safe start is
 *     within `urgentWindowMs` runs in the interactive band whatever its class (it is due);
 *  2. the tenant's fair-share rank: the request's position in its tenant's backlog in that band,
 *     divided by the tenant's weight (start-time fair queuing: a tenant's n-th waiting request
 *     gets tag n / w). 50,000 queued requests of one tenant get ranks 1 … 50,000, another
 *     tenant's next request gets rank 1, so it runs next, not after the 50,000;
 *  3. the deadline, on a log₂ scale of seconds of slack: among equal ranks, the earliest
 *     deadline first (at a resolution that halves the slack per step: 1 s, 2 s, 4 s … 1 day).
 */
export interface QueuePriorityInput {
  priority: PriorityClass;
  /** 1-based position of this request in its tenant's backlog in its band. */
  rank: number;
  /** The tenant's fair-share weight (default 1). */
  weight: number;
  deadlineAt: number;
  now: number;
}

export interface QueuePriorityPolicy {
  /** Time a realtime call needs; a request is due at deadlineAt − this. */
  realtimeAllowanceMs: number;
  /** A request due within this window runs in the interactive band. */
  urgentWindowMs: number;
}

export const DEFAULT_QUEUE_PRIORITY_POLICY: Readonly<QueuePriorityPolicy> = {
  realtimeAllowanceMs: 60_000,
  urgentWindowMs: 5 * 60_000,
};

const BAND = 600_000;
const SLACK_STEPS = 32;
const MAX_RANK = Math.floor(BAND / SLACK_STEPS) - 1;
const BAND_OF: Readonly<Record<PriorityClass, number>> = {
  interactive: 0,
  standard: 1,
  background: 2,
};

/** The band a request is scheduled in: its own class, or interactive once it is due. */
export function dispatchBand(
  input: Pick<QueuePriorityInput, 'priority' | 'deadlineAt' | 'now'>,
  policy: QueuePriorityPolicy = DEFAULT_QUEUE_PRIORITY_POLICY,
): PriorityClass {
  const dueAt = input.deadlineAt - policy.realtimeAllowanceMs;
  return dueAt - input.now <= policy.urgentWindowMs ? 'interactive' : input.priority;
}

/** log₂ steps of slack in seconds: 0 for ≤ 1 s (or late), 17 for a day, capped at 31. */
export function slackStep(deadlineAt: number, now: number): number {
  const seconds = Math.max(0, (deadlineAt - now) / 1000);
  return Math.min(SLACK_STEPS - 1, Math.floor(Math.log2(1 + seconds)));
}

/** BullMQ priority (1 … 1,800,000) for a realtime dispatch job. See the comment above. */
export function queuePriority(
  input: QueuePriorityInput,
  policy: QueuePriorityPolicy = DEFAULT_QUEUE_PRIORITY_POLICY,
): number {
  const band = BAND_OF[dispatchBand(input, policy)];
  const weight = input.weight > 0 && Number.isFinite(input.weight) ? input.weight : 1;
  const rank = Math.min(MAX_RANK, Math.max(0, Math.floor((Math.max(1, input.rank) - 1) / weight)));
  return 1 + band * BAND + rank * SLACK_STEPS + slackStep(input.deadlineAt, input.now);
}
