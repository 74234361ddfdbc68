import {
  MODEL_CATALOG,
  type ChatRequest,
  type ModelProfile,
  type OptimizationMode,
  type RequestMessage,
  type RoutingDecision,
  type TaskType,
  type TenantPolicy,
  type TokenReport,
} from '@asahi/contracts';
import type { AppError } from '@asahi/errors';
import { findModelEntry, resolveModel, routeRequest } from '../routing/index';
import {
  createTokenCounter,
  createTokenCounters,
  DEFAULT_HISTORY_BUDGET_TOKENS,
  optimizePrompt,
  rightSizeCompletion,
  tenantOptimizationOf,
  type CompletionTarget,
  type TokenOptimizationOptions,
} from '../tokens/index';

/** Completion tokens planned for when the caller sets no max_tokens. */
const DEFAULT_OUTPUT_TOKENS = 256;

export interface OptimizeAndRouteInput {
  request: RequestMessage;
  policy: TenantPolicy;
  registry: readonly ModelProfile[];
  taskType: TaskType;
  mode: OptimizationMode;
}

export type OptimizeAndRouteOutcome =
  | { ok: true; body: ChatRequest; decision: RoutingDecision; tokens: TokenReport }
  | { ok: false; error: AppError };

/**
 * Token optimization around routing: the prompt strategies first (routing needs the prompt's
 * size); then routing, on the caller's own max_tokens only, so an optimizer-added one never
 * rules reasoning models out; then `right-size-max-tokens` against the model routing chose (its
 * window, counted in its own tokenizer, and whether it takes max_tokens at all).
 */
export function optimizeAndRoute(input: OptimizeAndRouteInput): OptimizeAndRouteOutcome {
  const { request, policy, registry, taskType, mode } = input;
  const tenant = tenantOptimizationOf(policy);
  const counter = createTokenCounter(request.body.model);
  const counters = createTokenCounters(counter);
  const expectedOutputTokens = request.body.max_tokens ?? DEFAULT_OUTPUT_TOKENS;
  const options: TokenOptimizationOptions = {
    mode,
    model: request.body.model,
    taskType,
    counter,
    fewShotKeep: tenant.fewShotKeep,
    historyBudgetTokens: historyBudgetFor(input, tenant.historyBudgetTokens, expectedOutputTokens),
  };
  const prompt = optimizePrompt(request.body, options);
  const routed =
    registry.length === 0
      ? passThrough(request, taskType)
      : routeRequest({
          request: { ...request, body: prompt.body },
          registry,
          tenant: {
            routingMode: policy.routing.mode,
            qualityFloor: policy.routing.qualityFloor,
            defaultModel: policy.routing.defaultModel,
          },
          taskType,
          estimatedPromptTokens: prompt.report.optimized,
          promptTokensFor: (m) => counters.forModel(m.id).messages(prompt.body.messages),
          expectedOutputTokens,
        });
  if (!routed.ok) return routed;
  const model = routed.decision.model;
  const target: CompletionTarget | undefined = routed.model && {
    contextWindow: routed.model.contextWindow,
    acceptsMaxTokens: routed.model.capabilities.includes('sampling'),
    counter: counters.forModel(model),
  };
  const optimized = rightSizeCompletion(prompt, { ...options, target });
  return {
    ok: true,
    body: { ...optimized.body, model },
    decision: routed.decision,
    tokens: optimized.report,
  };
}

/** Without a registry (not loaded, Postgres down) the named model runs as is. */
function passThrough(request: RequestMessage, taskType: TaskType) {
  const model = request.body.model;
  const reason = 'no model registry available: ran the requested model';
  return {
    ok: true as const,
    model: undefined,
    decision: { mode: 'explicit' as const, taskType, requestedModel: model, model, reason },
  };
}

/**
 * The tenant's `trim-history` budget (default 4,000), capped so the trimmed prompt and the
 * expected answer fit the window of the model that will run: the named one when routing is
 * explicit (from the registry, else the catalog), else the largest enabled chat model, since
 * routing then only chooses among models the prompt fits.
 */
function historyBudgetFor(
  input: OptimizeAndRouteInput,
  budget = DEFAULT_HISTORY_BUDGET_TOKENS,
  outputTokens: number,
): number {
  const { request, policy, registry } = input;
  const mode = request.routing?.mode ?? policy.routing.mode ?? 'explicit';
  let window: number | undefined;
  if (registry.length === 0)
    window = findModelEntry(MODEL_CATALOG, request.body.model)?.contextWindow;
  else if (mode === 'explicit') {
    const resolved = resolveModel(registry, request.body.model);
    window = resolved.ok ? resolved.model.contextWindow : undefined;
  } else {
    const windows = registry
      .filter((m) => m.enabled && m.kind === 'chat')
      .map((m) => m.contextWindow);
    window = windows.length > 0 ? Math.max(...windows) : undefined;
  }
  return window === undefined ? budget : Math.max(1, Math.min(budget, window - outputTokens));
}
