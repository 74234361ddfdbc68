import type {
  ChatRequest,
  ModelProfile,
  RequestMessage,
  RoutingDecision,
  RoutingMode,
  TaskType,
} from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import { chooseAutopilot, chooseGuided, normaliseWeights, toCandidates } from './model-choice';
import { findModelEntry } from './model-lookup';
import { detectTaskType } from './task-type.detector';

/** The floor AUTOPILOT applies when neither the request nor the tenant sets one. */
export const DEFAULT_QUALITY_FLOOR = 0.8;

/** A tenant's routing settings (all optional). */
export interface TenantRoutingSettings {
  /**
   * The tenant's baseline model. Routing does not choose with it; it is accepted so callers can
   * pass tenant settings as they are, and price `savings.routing` against it with estimateCost.
   */
  defaultModel?: string;
  /** AUTOPILOT floor when the request sets none. */
  qualityFloor?: number;
  /** Mode for requests without a `routing` object. Default 'explicit'. */
  routingMode?: RoutingMode;
}

export interface RouteInput {
  request: RequestMessage;
  /** The model registry (enabled and disabled models; see @asahi/db listModels). */
  registry: readonly ModelProfile[];
  tenant: TenantRoutingSettings;
  /** The task, when the caller already knows it; else `routing.taskType`, else detected. */
  taskType?: TaskType;
  /** Prompt tokens of the request as it will be sent (after enrichment and optimization). */
  estimatedPromptTokens: number;
  /**
   * The prompt's tokens in a model's own tokenizer (cl100k_base and o200k_base can differ by
   * half on the same text), for the context-window check and the cost estimate. Default:
   * `estimatedPromptTokens` for every model.
   */
  promptTokensFor?: (model: ModelProfile) => number;
  /** Completion tokens to plan for (e.g. `max_tokens`, or a typical answer length). */
  expectedOutputTokens: number;
}

export type RouteOutcome =
  { ok: true; decision: RoutingDecision; model: ModelProfile } | { ok: false; error: AppError };

export type ResolveModelOutcome =
  { ok: true; model: ModelProfile } | { ok: false; error: AppError };

/**
 * The registry entry an explicitly named model runs as: its exact id, or for a snapshot
 * (`gpt-4o-mini-2024-07-18`, `gpt-3.5-turbo-0125`) its base model. Unknown, disabled and non-chat models are an
 * `unknown_model` error (HTTP 400), which the ingest API can also use to refuse at submission.
 */
export function resolveModel(registry: readonly ModelProfile[], id: string): ResolveModelOutcome {
  const model = findModelEntry(registry, id);
  const chatModels = registry.filter((m) => m.enabled && m.kind === 'chat').map((m) => m.id);
  const refuse = (why: string) => ({
    ok: false as const,
    error: new AppError('unknown_model', `model '${id}' ${why}`, {
      details: { model: id, available: chatModels },
    }),
  });
  if (!model) return refuse('is not in the model registry');
  if (!model.enabled) return refuse('is disabled');
  if (model.kind !== 'chat') return refuse(`is an ${model.kind} model, not a chat model`);
  return { ok: true, model };
}

/**
 * Capabilities a model needs to accept this body as written. Reasoning models reject the
 * classic sampling parameters, so a body that sets one needs a model with 'sampling'.
 */
export function requiredCapabilities(body: ChatRequest): string[] {
  const sets =
    (body.temperature !== undefined && body.temperature !== 1) ||
    (body.top_p !== undefined && body.top_p !== 1) ||
    Boolean(body.presence_penalty) ||
    Boolean(body.frequency_penalty) ||
    body.max_tokens !== undefined;
  return sets ? ['sampling'] : [];
}

/**
 * Chooses the model a request runs on. Pure: the registry and tenant settings come in, a decision
 * (or an error) goes out. See README.md in this folder for the modes.
 */
export function routeRequest(input: RouteInput): RouteOutcome {
  const { request, registry, tenant } = input;
  const requestedModel = request.body.model;
  const mode = request.routing?.mode ?? tenant.routingMode ?? 'explicit';
  const taskType =
    input.taskType ?? request.routing?.taskType ?? detectTaskType(request.body.messages);
  const decide = (model: ModelProfile, reason: string, chosen = model.id): RouteOutcome => ({
    ok: true,
    model,
    decision: { mode, taskType, requestedModel, model: chosen, reason },
  });

  if (mode === 'explicit') {
    const resolved = resolveModel(registry, requestedModel);
    if (!resolved.ok) return resolved;
    // The requested id is kept as the decision, so a pinned snapshot stays pinned.
    return decide(resolved.model, `explicit: ${requestedModel} as requested`, requestedModel);
  }

  const promptTokens = Math.max(0, input.estimatedPromptTokens);
  const outputTokens = Math.max(0, input.expectedOutputTokens);
  const needed = promptTokens + outputTokens;
  const promptOn = (m: ModelProfile) => Math.max(0, input.promptTokensFor?.(m) ?? promptTokens);
  const needs = requiredCapabilities(request.body);
  const usable = registry.filter(
    (m) => m.enabled && m.kind === 'chat' && needs.every((c) => m.capabilities.includes(c)),
  );
  const fitting = usable.filter((m) => m.contextWindow >= promptOn(m) + outputTokens);
  if (fitting.length === 0) {
    return {
      ok: false,
      error: new AppError(
        'invalid_request',
        `no enabled chat model has a context window for ~${needed} tokens ` +
          `(~${promptTokens} prompt + ${outputTokens} output)`,
        { details: { promptTokens, outputTokens, largest: largestWindow(usable) } },
      ),
    };
  }
  const candidates = toCandidates(fitting, taskType, promptOn, outputTokens);
  const tooSmall = usable.length - fitting.length;
  const note = tooSmall > 0 ? `; ${tooSmall} model(s) too small for ~${needed} tokens` : '';

  if (mode === 'autopilot') {
    const floor = request.routing?.qualityFloor ?? tenant.qualityFloor ?? DEFAULT_QUALITY_FLOOR;
    const choice = chooseAutopilot(candidates, taskType, floor);
    return decide(choice.model, `${choice.reason} (requested ${requestedModel})${note}`);
  }

  // GUIDED honours a floor only when the request itself sets one (the weights are its policy).
  const floor = request.routing?.qualityFloor;
  const meeting = floor === undefined ? [] : candidates.filter((c) => c.quality >= floor);
  const pool = meeting.length > 0 ? meeting : candidates;
  const floorNote =
    floor !== undefined && meeting.length === 0 ? `; no model reaches floor ${floor}` : '';
  const choice = chooseGuided(pool, taskType, normaliseWeights(request.routing?.prefer));
  return decide(choice.model, `${choice.reason} (requested ${requestedModel})${note}${floorNote}`);
}

function largestWindow(models: readonly ModelProfile[]): number {
  return models.reduce((max, m) => Math.max(max, m.contextWindow), 0);
}
