import type {
  ChatRequest,
  ModelProfile,
  RequestMessage,
  Step,
  TenantPolicy,
} from '@asahi/contracts';
import type { AppError } from '@asahi/errors';
import { routeRequest } from '../routing/routing.stage';

/** What a step decides with: the tenant's policy (cache, routing) and the model registry. */
export interface StepContext {
  policy: TenantPolicy;
  registry: readonly ModelProfile[];
}

const DEFAULT_STEP_OUTPUT_TOKENS = 256;

/**
 * The model a step runs on, chosen from the step alone so that every request rendering the same
 * step picks the same model and shares its cache entry: the step's own `model`; else, in
 * EXPLICIT mode (or without a registry), the request's model — which the flow carries as the
 * client asked it, before prepare's routing; else (AUTOPILOT, GUIDED) routing over the step's
 * own rendered prompt. Prepare routed on the request's messages, which for declared steps say
 * nothing about any one step and differ between requests that share a step.
 */
export function chooseStepModel(
  step: Step,
  chat: ChatRequest,
  request: RequestMessage,
  context?: StepContext,
): { ok: true; model: string } | { ok: false; error: AppError } {
  if (step.model) return { ok: true, model: step.model };
  const requested = request.body.model;
  const mode = request.routing?.mode ?? context?.policy.routing.mode ?? 'explicit';
  if (mode === 'explicit' || !context || context.registry.length === 0)
    return { ok: true, model: requested };
  // The request's task type describes the request, not this step: the step's text decides.
  const { taskType: _requestTask, ...routing } = request.routing ?? {};
  const promptChars = chat.messages.reduce((n, m) => n + m.content.length, 0);
  const routed = routeRequest({
    request: { ...request, routing, body: { ...chat, model: requested } },
    registry: context.registry,
    tenant: {
      routingMode: context.policy.routing.mode,
      qualityFloor: context.policy.routing.qualityFloor,
    },
    // A character estimate, not the tokenizer: cheap, and the same for the same text.
    estimatedPromptTokens: Math.ceil(promptChars / 4),
    expectedOutputTokens: chat.max_tokens ?? DEFAULT_STEP_OUTPUT_TOKENS,
  });
  return routed.ok ? { ok: true, model: routed.decision.model } : routed;
}
