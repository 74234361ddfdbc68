import { createHash } from 'node:crypto';
import type { ChatRequest } from '@asahi/contracts';

/** Fields that change a chat completion's output; everything else (user, metadata) does not. */
export const OUTPUT_FIELDS = [
  'model',
  'messages',
  'temperature',
  'top_p',
  'max_tokens',
  'seed',
  'stop',
  'presence_penalty',
  'frequency_penalty',
] as const;

/** Stable JSON: sorted keys, undefined dropped, so equal requests always hash equal. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The exact-cache key of a request: a hash of its output-changing fields in canonical form. */
export function exactCacheKey(body: ChatRequest): string {
  const picked: Record<string, unknown> = {};
  for (const field of OUTPUT_FIELDS) picked[field] = body[field];
  picked.messages = body.messages.map((m) => ({ role: m.role, content: m.content, name: m.name }));
  return createHash('sha256').update(canonicalJson(picked)).digest('hex');
}
