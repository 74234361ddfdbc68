/**
 * CPU-heavy work (index training) written as a generator that yields at safe points, so one body
 * can run to the end at once (tests, benchmarks) or in short slices between which the event loop
 * serves I/O and timers (a replica's build, which must not stall queries and their time budgets).
 */
export type Steps<T> = Generator<void, T, void>;

export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

export interface SliceControl {
  /** Checked between slices; true stops the run (it resolves to undefined). */
  cancelled: boolean;
}

/**
 * Runs `steps` for about `sliceMs` at a time, then yields to the event loop with setImmediate
 * (after pending I/O callbacks), until done or cancelled.
 */
export async function runInSlices<T>(
  steps: Steps<T>,
  control: SliceControl,
  sliceMs = 8,
): Promise<T | undefined> {
  for (;;) {
    if (control.cancelled) {
      steps.return(undefined as T);
      return undefined;
    }
    const until = performance.now() + sliceMs;
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value;
      if (performance.now() >= until) break;
    }
    await yieldToLoop();
  }
}

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
