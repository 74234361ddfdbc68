import type { ModelProfile, RoutingRequest, TaskType } from '@asahi/contracts';
import { estimateCost } from './model-cost';

/**
 * The two automatic choices, over candidates that already fit the request (enabled chat models
 * with a large enough context window and the capabilities it needs). Both are deterministic: every
 * comparison ends on the model id, so the same registry and request always give the same model.
 */
export interface Candidate {
  model: ModelProfile;
  quality: number;
  /** Estimated realtime USD of this request on this model. */
  costUsd: number;
}

export interface Choice {
  model: ModelProfile;
  reason: string;
}

export function toCandidates(
  models: readonly ModelProfile[],
  task: TaskType,
  /** The prompt's tokens in each model's tokenizer. */
  promptTokens: (model: ModelProfile) => number,
  outputTokens: number,
): Candidate[] {
  return models.map((model) => ({
    model,
    quality: model.quality[task] ?? 0,
    costUsd: estimateCost(model, promptTokens(model), outputTokens),
  }));
}

/** Scores compared with a little slack, so 0.8 stored as 0.7999999 still meets a 0.8 floor. */
const EPSILON = 1e-9;

function byCostThenLatency(a: Candidate, b: Candidate): number {
  return (
    a.costUsd - b.costUsd ||
    a.model.typicalLatencyMs - b.model.typicalLatencyMs ||
    b.quality - a.quality ||
    a.model.id.localeCompare(b.model.id)
  );
}

function byQualityThenCost(a: Candidate, b: Candidate): number {
  return b.quality - a.quality || byCostThenLatency(a, b);
}

const fmt = (n: number) => n.toFixed(2);

/**
 * AUTOPILOT: the cheapest candidate whose quality for the task meets the floor (ties: lower
 * latency); when none does, the best quality there is, so the request still runs.
 */
export function chooseAutopilot(candidates: Candidate[], task: TaskType, floor: number): Choice {
  const meeting = candidates.filter((c) => c.quality >= floor - EPSILON);
  if (meeting.length > 0) {
    const [best] = meeting.sort(byCostThenLatency) as [Candidate];
    return {
      model: best.model,
      reason:
        `autopilot: ${best.model.id} is the cheapest model with ${task} quality ` +
        `${fmt(best.quality)} ≥ floor ${fmt(floor)}`,
    };
  }
  const [best] = [...candidates].sort(byQualityThenCost) as [Candidate];
  return {
    model: best.model,
    reason:
      `autopilot: no model reaches ${task} quality ${fmt(floor)}; ` +
      `${best.model.id} has the highest (${fmt(best.quality)})`,
  };
}

export interface GuidedWeights {
  quality: number;
  latency: number;
  cost: number;
}

/** The weights as fractions of their sum; none given (or all zero) weighs the three equally. */
export function normaliseWeights(prefer: RoutingRequest['prefer']): GuidedWeights {
  const raw = {
    quality: prefer?.quality ?? 0,
    latency: prefer?.latency ?? 0,
    cost: prefer?.cost ?? 0,
  };
  const sum = raw.quality + raw.latency + raw.cost;
  if (!(sum > 0)) return { quality: 1 / 3, latency: 1 / 3, cost: 1 / 3 };
  return { quality: raw.quality / sum, latency: raw.latency / sum, cost: raw.cost / sum };
}

/**
 * GUIDED: each dimension is scaled to (0, 1] against the best candidate (quality / best quality,
 * fastest latency / latency, cheapest cost / cost), then weighted. Ties: cheaper, then faster.
 */
export function chooseGuided(
  candidates: Candidate[],
  task: TaskType,
  weights: GuidedWeights,
): Choice {
  const maxQuality = Math.max(...candidates.map((c) => c.quality));
  const minLatency = Math.min(...candidates.map((c) => c.model.typicalLatencyMs));
  const minCost = Math.min(...candidates.map((c) => c.costUsd));
  const ratio = (best: number, value: number) => (value > 0 ? best / value : 1);
  const scored = candidates.map((c) => ({
    ...c,
    score:
      weights.quality * (maxQuality > 0 ? c.quality / maxQuality : 0) +
      weights.latency * ratio(minLatency, c.model.typicalLatencyMs) +
      weights.cost * ratio(minCost, c.costUsd),
  }));
  const [best] = scored.sort((a, b) =>
    Math.abs(b.score - a.score) > EPSILON ? b.score - a.score : byCostThenLatency(a, b),
  ) as [(typeof scored)[number]];
  return {
    model: best.model,
    reason:
      `guided: ${best.model.id} scores best (${fmt(best.score)}) with weights quality ` +
      `${fmt(weights.quality)}, latency ${fmt(weights.latency)}, cost ${fmt(weights.cost)}: ` +
      `${task} quality ${fmt(best.quality)}, ~${best.model.typicalLatencyMs} ms, ` +
      `~$${best.costUsd.toPrecision(2)}`,
  };
}
