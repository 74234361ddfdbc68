/**
 * When a simulated batch moves, as pure arithmetic over (created, turnaround, window, now):
 * 10% of the turnaround validating, 80% in progress (items finish evenly spread over it), 10%
 * finalizing. A batch whose completion would land after `created + window` expires at that
 * instant with whatever items were done by then.
 */
export interface BatchTimeline {
  validatingMs: number;
  inProgressMs: number;
  finalizingMs: number;
  /** cancelling → cancelled takes as long as finalizing. */
  cancellingMs: number;
  windowMs: number;
}

export function batchTimeline(turnaroundMs: number, windowMs: number): BatchTimeline {
  const validatingMs = Math.round(turnaroundMs * 0.1);
  const finalizingMs = Math.round(turnaroundMs * 0.1);
  return {
    validatingMs,
    inProgressMs: Math.max(0, turnaroundMs - validatingMs - finalizingMs),
    finalizingMs,
    cancellingMs: finalizingMs,
    windowMs,
  };
}

/**
 * How many of `total` items are done `elapsedMs` into the in-progress phase: item i (0-based)
 * finishes at (i + 1) / total of the phase, so the last one finishes exactly at its end.
 */
export function itemsDoneAt(elapsedMs: number, inProgressMs: number, total: number): number {
  if (elapsedMs <= 0) return inProgressMs <= 0 ? total : 0;
  if (elapsedMs >= inProgressMs) return total;
  return Math.min(total, Math.floor((total * elapsedMs) / inProgressMs));
}

/** The instant (ms) the batch expires: created + completion window. */
export function expiresAtMs(createdAtMs: number, t: BatchTimeline): number {
  return createdAtMs + t.windowMs;
}
