import { createHash } from 'node:crypto';
import type { CacheControl, ChatMessage, RequestMessage, TenantPolicy } from '@asahi/contracts';
import { canonicalJson } from '../canonical';
import { decideCache } from '../cache-policy';

export type SemanticEligibilityReason =
  'eligible' | 'cache-off' | 'semantic-off' | 'sampling' | 'multi-turn' | 'steps' | 'empty-prompt';

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
   * turns, and the output-changing parameters. Store it with the vector and require equality on
   * lookup, so different system prompts or models never share answers. Empty when not eligible.
   */
  scope: string;
}

const SETTINGS = ['max_tokens', 'stop', 'presence_penalty', 'frequency_penalty'] as const;

/**
 * Whether a request may use the semantic tier. Default on for single-turn requests (one user
 * message after optional system/developer messages) that do not sample; multi-turn and
 * sampling (temperature > 0 or top_p < 1) requests only when `cache.cacheable` is true.
 * `cache.semantic: false` (the request's, else the tenant's), cache mode `off` and declared
 * multi-step requests opt out.
 */
export function semanticEligibility(
  request: Pick<RequestMessage, 'body' | 'cache' | 'steps'>,
  tenantDefault: Pick<TenantPolicy, 'cache'> | CacheControl = { mode: 'read-write' },
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
  const tenantCache = 'cache' in tenantDefault ? tenantDefault.cache : tenantDefault;
  if ((request.cache?.semantic ?? tenantCache.semantic) === false) return refuse('semantic-off');
  if (request.steps) return refuse('steps');
  const { temperature, top_p } = request.body;
  const sampling =
    (temperature !== undefined && temperature > 0) || (top_p !== undefined && top_p < 1);
  if (sampling && !cacheable) return refuse('sampling');
  // Sampling is judged above by the semantic rule (a seed does not make a paraphrase repeatable).
  const { read, write } = decideCache({ cache: request.cache }, tenantDefault);
  if (!read && !write) return refuse('cache-off');
  const messages = request.body.messages;
  const lastUser = findLastIndex(messages, (m) => m.role === 'user');
  const last = messages[lastUser];
  if (!last || lastUser !== messages.length - 1) return refuse('multi-turn', read, write);
  const before = messages.slice(0, lastUser);
  const singleTurn = before.every((m) => m.role === 'system' || m.role === 'developer');
  if (!singleTurn && !cacheable) return refuse('multi-turn', read, write);
  if (last.content.trim() === '') return refuse('empty-prompt', read, write);
  return {
    eligible: true,
    reason: 'eligible',
    read,
    write,
    text: last.content,
    scope: scopeOf(request.body, before, last),
  };
}

function scopeOf(body: RequestMessage['body'], before: ChatMessage[], last: ChatMessage): string {
  const settings: Record<string, unknown> = {};
  for (const field of SETTINGS) settings[field] = body[field];
  const material = {
    model: body.model,
    context: before.map((m) => ({ role: m.role, content: m.content, name: m.name })),
    name: last.name,
    settings,
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i -= 1) if (predicate(items[i] as T)) return i;
  return -1;
}
