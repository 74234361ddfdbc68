import type { Socket } from 'node:net';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { SimConfig } from './config';
import { FaultInjector } from './faults';
import type { LatencySettings } from './latency';
import { sfc32, type Rng } from './prng';
import { SlidingWindowRateLimiter } from './rate-limiter';
import type { SimMetrics } from './sim-metrics';
import { SimStats } from './stats';

/** Requests held by a `timeout` fault; released (sockets destroyed) on close. */
export interface HeldRequest {
  timer: NodeJS.Timeout;
  socket: Socket;
}

/** Everything the routes share: one per simulator instance, no module-level state. */
export interface SimContext {
  config: SimConfig;
  faults: FaultInjector;
  limiter: SlidingWindowRateLimiter;
  stats: SimStats;
  metrics: SimMetrics;
  latency: LatencySettings;
  jitterRng: Rng;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  held: Set<HeldRequest>;
}

export interface SimContextDeps {
  metrics: SimMetrics;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function createSimContext(config: SimConfig, deps: SimContextDeps): SimContext {
  const now = deps.now ?? Date.now;
  return {
    config,
    faults: new FaultInjector(
      { rate: config.SIM_FAULT_RATE, kinds: config.SIM_FAULT_KINDS, models: null, endpoints: null },
      config.SIM_SEED,
    ),
    limiter: new SlidingWindowRateLimiter({ rpm: config.SIM_RPM, tpm: config.SIM_TPM }, now),
    stats: new SimStats(now),
    metrics: deps.metrics,
    latency: {
      baseMs: config.SIM_LATENCY_MS,
      perTokenMs: config.SIM_LATENCY_PER_TOKEN_MS,
      jitterMs: config.SIM_LATENCY_JITTER_MS,
    },
    jitterRng: sfc32(config.SIM_SEED, 0x6a09e667, 0xbb67ae85, 0x3c6ef372),
    now,
    sleep:
      deps.sleep ?? ((ms) => (ms > 0 ? sleepFor(ms).then(() => undefined) : Promise.resolve())),
    held: new Set(),
  };
}
