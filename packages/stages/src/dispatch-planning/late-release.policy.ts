/** A Batch API job still running, as the release check sees it. Times are epoch ms. */
export interface RunningBatchJob {
  members: { id: string; deadlineAt: number }[];
  submittedAt: number;
  /** The current completion estimate (submittedAt + expected turnaround, or the provider's). */
  expectedDoneAt: number;
}

export interface LateReleasePolicy {
  /** Time a realtime call needs, retries included (same meaning as BatchPolicy's). */
  realtimeAllowanceMs: number;
}

/**
 * The last moment a member can still be saved by a realtime call while its batch job runs.
 * Releasing before it is only worth it when the job is already expected to finish too late.
 */
function releaseAt(
  member: { deadlineAt: number },
  job: RunningBatchJob,
  policy: LateReleasePolicy,
): number {
  const lastRealtimeStart = member.deadlineAt - policy.realtimeAllowanceMs;
  // A job projected to finish after that point will not make it: release as soon as we know.
  return job.expectedDoneAt > lastRealtimeStart ? job.submittedAt : lastRealtimeStart;
}

/**
 * Members of a still-running Batch API job to hand to the realtime path now, in deadline order
 * (the caller cancels their batch lines or ignores those results; the first answer wins).
 * Called only while the job runs; a finished job releases no one.
 */
export function releaseLateMembers(
  job: RunningBatchJob,
  now: number,
  policy: LateReleasePolicy,
): string[] {
  return job.members
    .filter((m) => releaseAt(m, job, policy) <= now)
    .sort((a, b) => a.deadlineAt - b.deadlineAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => m.id);
}

/**
 * When to check the job again for releases: the earliest future release time among members not
 * yet due, or null when none is left. Re-run after the estimate (expectedDoneAt) changes.
 */
export function nextReleaseAt(
  job: RunningBatchJob,
  now: number,
  policy: LateReleasePolicy,
): number | null {
  const future = job.members.map((m) => releaseAt(m, job, policy)).filter((t) => t > now);
  return future.length ? Math.min(...future) : null;
}
