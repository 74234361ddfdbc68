import type { FaultKind } from './faults';

export interface ModelStats {
  requests: number;
  succeeded: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * Batch items, kept apart from the realtime counters: they never count in `chatCompletions`,
 * `byModel` or the top-level tokens. Cost is billed at `BATCH_DISCOUNT` of the realtime price.
 */
export interface BatchStats {
  batches: number;
  items: number;
  succeeded: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  /** What the succeeded items would have cost on the realtime endpoints, in USD. */
  realtimeCostUsd: number;
  /** What they are billed: realtimeCostUsd × BATCH_DISCOUNT. */
  billedCostUsd: number;
}

export interface SimStatsSnapshot {
  chatCompletions: number;
  embeddings: number;
  succeeded: { chatCompletions: number; embeddings: number };
  faultsInjected: Record<FaultKind, number> & { total: number };
  rateLimited: number;
  invalidRequests: number;
  byModel: Record<string, ModelStats>;
  promptTokens: number;
  completionTokens: number;
  batches: BatchStats;
  since: string;
}

export interface BatchItemOutcome {
  ok: boolean;
  promptTokens: number;
  completionTokens: number;
  realtimeCostUsd: number;
  billedCostUsd: number;
}

const MAX_MODEL_KEYS = 256;

type Endpoint = 'chatCompletions' | 'embeddings';

/** Counters tests read to assert what reached the provider (e.g. a cache hit made no call). */
export class SimStats {
  private data!: SimStatsSnapshot;

  constructor(private readonly now: () => number = Date.now) {
    this.reset();
  }

  reset(): void {
    this.data = {
      chatCompletions: 0,
      embeddings: 0,
      succeeded: { chatCompletions: 0, embeddings: 0 },
      faultsInjected: { '500': 0, '503': 0, timeout: 0, malformed: 0, '429': 0, total: 0 },
      rateLimited: 0,
      invalidRequests: 0,
      byModel: {},
      promptTokens: 0,
      completionTokens: 0,
      batches: {
        batches: 0,
        items: 0,
        succeeded: 0,
        failed: 0,
        promptTokens: 0,
        completionTokens: 0,
        realtimeCostUsd: 0,
        billedCostUsd: 0,
      },
      since: new Date(this.now()).toISOString(),
    };
  }

  /** Every call that reached an endpoint, whatever its outcome. */
  received(endpoint: Endpoint, model: string | undefined): void {
    this.data[endpoint] += 1;
    if (model) this.model(model).requests += 1;
  }

  succeeded(
    endpoint: Endpoint,
    model: string,
    promptTokens: number,
    completionTokens: number,
  ): void {
    this.data.succeeded[endpoint] += 1;
    this.data.promptTokens += promptTokens;
    this.data.completionTokens += completionTokens;
    const m = this.model(model);
    m.succeeded += 1;
    m.promptTokens += promptTokens;
    m.completionTokens += completionTokens;
  }

  fault(kind: FaultKind): void {
    this.data.faultsInjected[kind] += 1;
    this.data.faultsInjected.total += 1;
  }

  rateLimited(): void {
    this.data.rateLimited += 1;
  }

  invalid(): void {
    this.data.invalidRequests += 1;
  }

  batchCreated(): void {
    this.data.batches.batches += 1;
  }

  /** One executed batch item; tokens and cost only for the ones that succeeded. */
  batchItem(outcome: BatchItemOutcome): void {
    const b = this.data.batches;
    b.items += 1;
    if (!outcome.ok) {
      b.failed += 1;
      return;
    }
    b.succeeded += 1;
    b.promptTokens += outcome.promptTokens;
    b.completionTokens += outcome.completionTokens;
    b.realtimeCostUsd += outcome.realtimeCostUsd;
    b.billedCostUsd += outcome.billedCostUsd;
  }

  snapshot(): SimStatsSnapshot {
    return structuredClone(this.data);
  }

  private model(id: string): ModelStats {
    // Clients may send any model name; cap the keys so stats memory stays bounded.
    const known = Object.keys(this.data.byModel).length;
    const key = this.data.byModel[id] || known < MAX_MODEL_KEYS ? id.slice(0, 128) : '(other)';
    let m = this.data.byModel[key];
    if (!m) {
      m = { requests: 0, succeeded: 0, promptTokens: 0, completionTokens: 0 };
      this.data.byModel[key] = m;
    }
    return m;
  }
}
