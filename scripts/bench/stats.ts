/** Percentile by nearest rank over a copy of the samples (ms). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samples: number[]) {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
  };
}

/**
 * Runs `task` at a fixed arrival rate (open loop: a slow answer does not slow the schedule) and
 * returns each call's latency in ms. Bounded by count.
 */
export async function atFixedRate(
  ratePerSecond: number,
  count: number,
  task: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    running.push(
      task(i).then(
        () => void latencies.push(performance.now() - t0),
        () => void errors++,
      ),
    );
  }
  await Promise.all(running);
  return { latencies, errors };
}

/** Runs `task` count times with at most `concurrency` in flight (closed loop, as fast as it goes). */
export async function withConcurrency(
  concurrency: number,
  count: number,
  task: (i: number) => Promise<void>,
): Promise<{ errors: number }> {
  let next = 0;
  let errors = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await task(i).catch(() => void errors++);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { errors };
}
