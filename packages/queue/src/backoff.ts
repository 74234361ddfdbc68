/**
 * Exponential backoff with full jitter (AWS architecture blog), never shorter than what the
 * provider asked for in `retry-after`. Pure: the random source is passed in.
 */
export function computeBackoffMs(
  attemptsMade: number,
  baseMs: number,
  options: { retryAfterMs?: number | undefined; capMs?: number; random?: () => number } = {},
): number {
  const cap = options.capMs ?? 60_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(cap, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, options.retryAfterMs ?? 0);
}
