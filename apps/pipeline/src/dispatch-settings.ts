import {
  DEFAULT_BATCH_POLICY,
  parseFallbackChains,
  type BatchPolicy,
  type FallbackChains,
  type RateLimits,
} from '@asahi/stages';
import type { PipelineConfig } from './config';

/** Everything deadline-aware dispatch is configured with, parsed once from the environment. */
export interface DispatchSettings {
  limitsFor(model: string): RateLimits;
  fallbackChains: FallbackChains;
  batchApi: boolean;
  batchPolicy: BatchPolicy;
  pollMs: number;
}

const UNLIMITED: RateLimits = { rpm: Infinity, tpm: Infinity };

/** Parses `PROVIDER_LIMITS` (see config.ts); throws a precise message on a bad shape. */
export function parseProviderLimits(json: string): (model: string) => RateLimits {
  const value: unknown = json.trim() === '' ? {} : JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('PROVIDER_LIMITS must be a JSON object of model → {rpm, tpm}');
  const table = new Map<string, RateLimits>();
  for (const [model, limits] of Object.entries(value as Record<string, unknown>)) {
    const { rpm, tpm } = (limits ?? {}) as { rpm?: unknown; tpm?: unknown };
    for (const [name, v] of [
      ['rpm', rpm],
      ['tpm', tpm],
    ] as const)
      if (v !== undefined && (typeof v !== 'number' || !(v > 0)))
        throw new Error(`PROVIDER_LIMITS.${model}.${name} must be a positive number`);
    table.set(model, {
      rpm: (rpm as number | undefined) ?? Infinity,
      tpm: (tpm as number | undefined) ?? Infinity,
    });
  }
  return (model) => table.get(model) ?? table.get('*') ?? UNLIMITED;
}

export function dispatchSettingsFrom(config: PipelineConfig): DispatchSettings {
  return {
    limitsFor: parseProviderLimits(config.PROVIDER_LIMITS),
    fallbackChains: parseFallbackChains(config.FALLBACK_CHAINS),
    batchApi: config.BATCH_API,
    batchPolicy: {
      ...DEFAULT_BATCH_POLICY,
      expectedBatchTurnaroundMs: config.BATCH_TURNAROUND_MS,
      marginMs: config.BATCH_MARGIN_MS,
      minBatchApiSize: config.BATCH_MIN_SIZE,
      batchApiMaxWaitMs: config.BATCH_MAX_WAIT_MS,
      realtimeAllowanceMs: config.REALTIME_ALLOWANCE_MS,
    },
    pollMs: config.BATCH_POLL_MS,
  };
}
