import { createHash } from 'node:crypto';
import type { CacheControl, ChatMessage, RequestMessage, TenantPolicy } from '@asahi/contracts';
import { canonicalJson, OUTPUT_FIELDS } from '../canonical';
import { decideCache } from '../cache-policy';
import { isAboutSurfaceForm } from './canonical-prompt';

export type SemanticEligibilityReason =
  | 'eligible'
  | 'cache-off'
  | 'semantic-off'
  | 'sampling'
  | 'multi-turn'
  | 'steps'
  | 'empty-prompt'
  | 'surface-form';

export interface SemanticEligibility {
  eligible: boolean;
  reason: SemanticEligibilityReason;
  /** The semantic tier may serve a cached answer (cache mode allows reads). */
  read: boolean;
  /** The answer may be stored for later semantic reuse (cache mode allows writes). */
  write: boolean;
  /** What to embed: the last user message. Empty when not eligible. */
  text: string;
  /**
   * Everything else that shapes the answer, hashed: model, system/developer messages, earlier
   * turns (user and assistant), the output-changing parameters and the caller's `extras`. Store
   * it with the vector and require equality on lookup, so different system prompts, earlier
   * turns or models never share answers. Empty when not eligible.
   */
  scope: string;
}

/**
 * Whether a request may use the semantic tier. Default on for single-turn requests (one user
 * message after optional system/developer messages) that do not sample; multi-turn and
 * sampling (temperature > 0 or top_p < 1) requests only when `cache.cacheable` is true.
 * `cache.semantic: false` (the request's or the tenant's: a request narrows its tenant's policy,
 * see `decideCache`), cache mode `off`, declared multi-step requests and prompts about their own
 * surface form (`isAboutSurfaceForm`, in any message) opt out. `extras`: whatever else the caller
 * knows changes the answer (the effective routing policy, aggressive optimization); it goes into
 * the scope.
 */
export function semanticEligibility(
  request: Pick<RequestMessage, 'body' | 'cache' | 'steps'>,
  tenantDefault: Pick<TenantPolicy, 'cache'> | CacheControl = {},
  extras: unknown = null,
): SemanticEligibility {
  const refuse = (reason: SemanticEligibilityReason, read = false, write = false) => ({
    eligible: false,
    reason,
    read,
    write,
    text: '',
    scope: '',
  });
  const cacheable = request.cache?.cacheable === true;
  // Sampling is judged below by the semantic rule (a seed does not make a paraphrase repeatable).
  const { read, write, semantic } = decideCache({ cache: request.cache }, tenantDefault);
  if (!semantic) return refuse('semantic-off');
  if (request.steps) return refuse('steps');
  const { temperature, top_p } = request.body;
  const sampling =
    (temperature !== undefined && temperature > 0) || (top_p !== undefined && top_p < 1);
  if (sampling && !cacheable) return refuse('sampling');
  if (!read && !write) return refuse('cache-off');
  const messages = request.body.messages;
  const lastUser = findLastIndex(messages, (m) => m.role === 'user');
  const last = messages[lastUser];
  if (!last || lastUser !== messages.length - 1) return refuse('multi-turn', read, write);
  const before = messages.slice(0, lastUser);
  const singleTurn = before.every((m) => m.role === 'system' || m.role === 'developer');
  if (!singleTurn && !cacheable) return refuse('multi-turn', read, write);
  if (last.content.trim() === '') return refuse('empty-prompt', read, write);
  if (messages.some((m) => isAboutSurfaceForm(m.content)))
    return refuse('surface-form', read, write);
  return {
    eligible: true,
    reason: 'eligible',
    read,
    write,
    text: last.content,
    scope: scopeOf(request.body, before, last, extras),
  };
}

function scopeOf(
  body: RequestMessage['body'],
  before: ChatMessage[],
  last: ChatMessage,
  extras: unknown,
): string {
  // Every field that changes the output (the model included), except the messages themselves.
  const settings: Record<string, unknown> = {};
  for (const field of OUTPUT_FIELDS) if (field !== 'messages') settings[field] = body[field];
  const material = {
    context: before.map((m) => ({ role: m.role, content: m.content, name: m.name })),
    name: last.name,
    settings,
    extras,
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i -= 1) if (predicate(items[i] as T)) return i;
  return -1;
}
