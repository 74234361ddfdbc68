import { createHash } from 'node:crypto';
import type { ChatRequest, RequestMessage } from '@asahi/contracts';
import { canonicalJson, exactCacheKey } from '../canonical';
import { canonicalPrompt } from '../semantic/index';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * What else, beyond the body, changes the answer: a routing policy other than "run this model"
 * picks the model, and aggressive token optimization may drop context.
 */
function outputExtras(request: Pick<RequestMessage, 'routing' | 'steps'>, optimization: string) {
  const routing = request.routing && request.routing.mode !== 'explicit' ? request.routing : null;
  // Declared steps decide the answer as much as the body does.
  const steps = request.steps ?? null;
  return routing || steps || optimization === 'aggressive'
    ? { routing, optimization, steps }
    : null;
}

/** Tier-1 key: the body's exact key, extended by routing policy and optimization when they matter. */
export function requestCacheKey(
  request: Pick<RequestMessage, 'body' | 'routing' | 'steps'>,
  optimization: string,
): string {
  const base = exactCacheKey(request.body);
  const extras = outputExtras(request, optimization);
  return extras ? sha256(`${base}|${canonicalJson(extras)}`) : base;
}

/** The body with every message in canonical form (case, spacing, punctuation, filler). */
export function canonicalBody(body: ChatRequest): ChatRequest {
  return {
    ...body,
    messages: body.messages.map((m) => ({ ...m, content: canonicalPrompt(m.content) })),
  };
}

/**
 * The canonical-form key ("c:" + key of the canonicalised request); null when canonicalising
 * changes nothing, because then the exact key already covers it.
 */
export function canonicalCacheKey(
  request: Pick<RequestMessage, 'body' | 'routing' | 'steps'>,
  optimization: string,
): string | null {
  const body = canonicalBody(request.body);
  if (canonicalJson(body.messages) === canonicalJson(request.body.messages)) return null;
  return `c:${requestCacheKey({ ...request, body }, optimization)}`;
}

/**
 * Everything but the user's words that changes the answer. A semantic match is only considered
 * between requests of the same scope, so different system prompts, models or parameters never
 * share answers.
 */
export function semanticScope(
  request: Pick<RequestMessage, 'body' | 'routing' | 'steps'>,
  optimization: string,
): string {
  const { messages, user: _user, ...params } = request.body;
  const context = messages.filter((m) => m.role !== 'user').map((m) => [m.role, m.content]);
  return sha256(
    canonicalJson({ params, context, extras: outputExtras(request, optimization) }),
  ).slice(0, 32);
}
