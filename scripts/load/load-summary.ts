import type { Result } from 'autocannon';
import type { LoadOptions } from './load-options';

/**
 * Response times as measured per response (ms). autocannon's histogram has no p95 and, with a
 * rate set, mixes in synthetic samples to correct coordinated omission; both views are reported.
 */
export class LatencySamples {
  private values: Float64Array;
  private length = 0;

  constructor(initialCapacity = 4096) {
    this.values = new Float64Array(Math.max(16, initialCapacity));
  }

  add(ms: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = ms;
  }

  get count(): number {
    return this.length;
  }

  /** Nearest-rank percentiles (p in 0..100), sorted once; null when nothing was recorded. */
  percentiles(ps: number[]): Record<string, number> | null {
    if (this.length === 0) return null;
    const sorted = this.values.slice(0, this.length).sort();
    const out: Record<string, number> = {};
    for (const p of ps) {
      const rank = Math.min(this.length, Math.max(1, Math.ceil((p / 100) * this.length)));
      out[`p${String(p).replace('.', '_')}`] = round(sorted[rank - 1] ?? 0);
    }
    out.max = round(sorted[this.length - 1] ?? 0);
    out.mean = round(sorted.reduce((a, b) => a + b, 0) / this.length);
    return out;
  }
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export interface SummaryExtras {
  /** Requests written, counted by the script: autocannon's `requests.sent` adds an estimate. */
  sent: number;
  repeated: number;
  stoppedEarly: string | null;
}

export function buildSummary(
  opts: LoadOptions,
  result: Result,
  samples: LatencySamples,
  extras: SummaryExtras,
) {
  const completed = result['2xx'] + result.non2xx;
  const seconds = result.duration || opts.durationS;
  return {
    target: {
      url: `${opts.origin}/v1/jobs`,
      rate: opts.rate,
      durationS: opts.durationS,
      // autocannon lowers connections to the rate when the rate is smaller.
      connections: result.connections,
    },
    durationS: round(seconds),
    stoppedEarly: extras.stoppedEarly,
    requests: {
      sent: extras.sent,
      completed,
      '2xx': result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      byStatus: Object.fromEntries(
        Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]),
      ),
      repeatedPrompts: extras.repeated,
    },
    latencyMs: samples.percentiles([50, 95, 99]),
    latencyMsCorrected: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    throughput: {
      requestsPerSec: round(completed / seconds),
      twoxxPerSec: round(result['2xx'] / seconds),
      bytesPerSec: round(result.throughput.average),
    },
  };
}
