import type { Rng } from './prng';

export interface LatencySettings {
  baseMs: number;
  perTokenMs: number;
  jitterMs: number;
}

/** base + per completion token + uniform jitter in [0, jitterMs); exact when jitterMs is 0. */
export function latencyMs(settings: LatencySettings, completionTokens: number, rng: Rng): number {
  const jitter = settings.jitterMs > 0 ? rng() * settings.jitterMs : 0;
  return settings.baseMs + settings.perTokenMs * completionTokens + jitter;
}
