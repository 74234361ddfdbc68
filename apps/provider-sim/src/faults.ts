import { sfc32, type Rng } from './prng';

export const FAULT_KINDS = ['500', '503', 'timeout', 'malformed', '429'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** `batches` = each item of a batch, drawn when the item runs. */
export const SIM_ENDPOINTS = ['chat', 'embeddings', 'batches'] as const;
export type SimEndpoint = (typeof SIM_ENDPOINTS)[number];

export interface FaultSettings {
  /** Probability in [0, 1] that an eligible request gets a random fault. */
  rate: number;
  /** Kinds random faults are drawn from (uniformly). */
  kinds: FaultKind[];
  /** FIFO applied to the next eligible requests, before any random draw. */
  next: FaultKind[];
  /** Only requests for these models are eligible; null = all. */
  models: string[] | null;
  /** Only these endpoints are eligible; null = all (chat, embeddings, batch items). */
  endpoints: SimEndpoint[] | null;
}

export type FaultPatch = Partial<FaultSettings>;

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

/**
 * Decides which fault (if any) a provider call gets. The `next` queue is deterministic by
 * construction; random faults come from a PRNG seeded by SIM_SEED, so a run with the same
 * request order injects the same faults.
 */
export class FaultInjector {
  private state: FaultSettings;
  private rng: Rng;

  constructor(
    private readonly initial: Omit<FaultSettings, 'next'> & { next?: FaultKind[] },
    private readonly seed: number,
  ) {
    this.state = cloneSettings({ next: [], ...initial });
    this.rng = seededRng(seed);
  }

  settings(): FaultSettings {
    return cloneSettings(this.state);
  }

  /** Replaces the given fields; `next` is appended to the queue (it is a FIFO). */
  configure(patch: FaultPatch): FaultSettings {
    const { next, ...rest } = patch;
    this.state = cloneSettings({
      ...this.state,
      ...rest,
      next: [...this.state.next, ...(next ?? [])],
    });
    return this.settings();
  }

  /** Back to the startup settings, empty queue, PRNG reseeded. */
  reset(): FaultSettings {
    this.state = cloneSettings({ next: [], ...this.initial });
    this.rng = seededRng(this.seed);
    return this.settings();
  }

  /** The fault for this call, consuming it; undefined when the call should be served normally. */
  draw(endpoint: SimEndpoint, modelIds: readonly string[]): FaultKind | undefined {
    const { models, endpoints } = this.state;
    if (endpoints && !endpoints.includes(endpoint)) return undefined;
    if (models && !modelIds.some((m) => models.includes(m))) return undefined;
    const queued = this.state.next.shift();
    if (queued) return queued;
    if (this.state.rate <= 0 || this.state.kinds.length === 0) return undefined;
    // Draw both numbers for every eligible call so the sequence does not depend on outcomes.
    const roll = this.rng();
    const which = this.rng();
    if (roll >= this.state.rate) return undefined;
    return this.state.kinds[Math.floor(which * this.state.kinds.length)];
  }
}

function seededRng(seed: number): Rng {
  return sfc32(seed, 0x9e3779b9, 0x85ebca6b ^ seed, 0xc2b2ae35);
}

function cloneSettings(s: FaultSettings): FaultSettings {
  return {
    rate: s.rate,
    kinds: [...s.kinds],
    next: [...s.next],
    models: s.models ? [...s.models] : null,
    endpoints: s.endpoints ? [...s.endpoints] : null,
  };
}
