import { createHash } from 'node:crypto';
import type { ChatRequest, RequestMessage, Step } from '@asahi/contracts';
import { canonicalJson } from '../canonical';
import { PLACEHOLDER } from './step-graph';

/**
 * Fills a step's template in one pass: `{{input}}` with the request input, `{{steps.<id>}}` with
 * that dependency's output. Substituted text is never scanned again, so a document or an answer
 * that happens to contain `{{…}}` cannot pull in other values.
 */
export function renderStepPrompt(
  template: string,
  input: string,
  outputs: Readonly<Record<string, string>>,
): string {
  return template.replace(PLACEHOLDER, (whole, name: string, stepId: string | undefined) => {
    if (name === 'input') return input;
    const value = stepId === undefined ? undefined : outputs[stepId];
    // validateSteps guarantees every referenced step is a dependency; a gap here is a bug.
    if (value === undefined) throw new Error(`no output for ${whole}`);
    return value;
  });
}

/**
 * The chat call a step makes: its rendered prompt as the one user message, its own model and
 * max_tokens (else the request's model), and the request's sampling parameters, so a sampled
 * request never reuses a deterministic one's steps or the other way round.
 */
export function stepChatRequest(
  step: Step,
  prompt: string,
  body: RequestMessage['body'],
): ChatRequest {
  const chat: ChatRequest = {
    model: step.model ?? body.model,
    messages: [{ role: 'user', content: prompt }],
  };
  if (step.max_tokens !== undefined) chat.max_tokens = step.max_tokens;
  if (body.temperature !== undefined) chat.temperature = body.temperature;
  if (body.top_p !== undefined) chat.top_p = body.top_p;
  if (body.seed !== undefined) chat.seed = body.seed;
  return chat;
}

/**
 * The step-cache key: sha256 of the canonical {template, model, params, prompt}. It holds no tenant
 * or request id on purpose — the cache store scopes keys by tenant — so two requests of one tenant
 * that render the same step share it, whatever else they ask.
 */
export function stepCacheKey(template: string, chat: ChatRequest): string {
  const { model, messages, ...params } = chat;
  const prompt = messages.map((m) => m.content).join('\n');
  return createHash('sha256')
    .update(canonicalJson({ v: 1, template, model, params, prompt }))
    .digest('hex');
}
