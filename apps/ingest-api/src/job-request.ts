import { createHash, randomBytes } from 'node:crypto';
import { chatRequestSchema, requestMessageSchema, type ChatRequest, type RequestMessage, type RequestMode, type z } from '@asahi/contracts';

/**
 * Everything between "an HTTP body arrived" and "a RequestMessage is ready to produce", kept pure
 * (no I/O, clock and randomness passed in) so it is unit-tested table-driven.
 */

/** Longest deadline a client may ask for; beyond it a request is a batch job, not a queue entry. */
export const MAX_DEADLINE_S = 7 * 86_400;

const shape = requestMessageSchema.shape;

/**
 * The OpenAI chat-completions body plus Asahi's own fields. Strict: an OpenAI field we cannot
 * honour (`tools`, `stream: true`, `n: 3`, ...) is rejected by name instead of silently dropped,
 * because dropping it would change the answer the client gets.
 */
export const jobBodySchema = chatRequestSchema
  .extend({
    /** Accepted for SDK compatibility only: Asahi never streams and returns one choice. */
    stream: z_literal(false),
    n: z_literal(1),
    callback: shape.callback,
    deadline_seconds: zInt().min(1).max(MAX_DEADLINE_S).optional(),
    deadline_at: zIso().optional(),
    cache: shape.cache,
    metadata: shape.metadata,
  })
  .strict();

// `z` from contracts is a type-only export here (verbatimModuleSyntax); build the leaf schemas
// from the chat schema's own zod instance so there is exactly one zod copy.
function z_literal<T extends boolean | number>(value: T) {
  return chatRequestSchema.shape.temperature.unwrap().constructor === undefined ? never() : literal(value);
}
