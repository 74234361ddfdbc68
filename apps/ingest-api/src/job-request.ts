import { createHash, randomBytes } from 'node:crypto';
import {
  chatRequestSchema,
  requestMessageSchema,
  z,
  type ChatRequest,
  type RequestMessage,
  type RequestMode,
} from '@asahi/contracts';
import { ENTITY_TYPES, isEntityType, isReservedKey, validateSteps } from '@asahi/stages';
import { invalid, type Issue, type Outcome } from './outcome';

export type { Issue, Outcome } from './outcome';

/**
 * Everything between "an HTTP body arrived" and "a RequestMessage is ready to produce", kept pure
 * (clock and randomness are passed in) so it is unit-tested table-driven.
 */

/** Longest deadline a client may ask for: beyond it a request belongs in a batch, not a queue. */
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
    stream: z.literal(false).optional(),
    n: z.literal(1).optional(),
    callback: shape.callback,
    deadline_seconds: z.number().int().min(1).max(MAX_DEADLINE_S).optional(),
    deadline_at: z.string().datetime({ offset: true }).optional(),
    cache: shape.cache,
    metadata: shape.metadata,
    routing: shape.routing,
    optimization: shape.optimization,
    enrichment: shape.enrichment,
    steps: shape.steps,
    /** Dispatch priority class; absent → the pipeline derives it from the mode. */
    priority: shape.priority,
  })
  .strict();
export type JobBody = z.infer<typeof jobBodySchema>;

/** Validates a parsed JSON body; on failure every issue has its exact path and zod's message. */
export function parseJobBody(input: unknown): Outcome<JobBody> {
  const result = jobBodySchema.safeParse(input);
  if (result.success) {
    // A declared DAG must be runnable (ids, dependencies, no cycles) before it is accepted.
    const graph = result.data.steps ? validateSteps(result.data.steps) : undefined;
    if (graph && !graph.ok) return invalid([{ path: 'steps', message: graph.reason }]);
    const issues = enrichmentIssues(input, result.data);
    if (issues.length > 0) return invalid(issues);
    return { ok: true, value: result.data };
  }
  return invalid(
    result.error.issues
      .slice(0, 20)
      .map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
  );
}

/**
 * What the schema cannot say about `enrichment`: it cannot be combined with `steps` (prepare
 * enriches the request's messages, but steps render their own templates, so the enrichment would
 * be silently lost); entities are of the types the feature store holds; and no variable is named
 * like an object internal. Keys are read from the raw input, because the schema drops a
 * `__proto__` key without a word.
 */
function enrichmentIssues(input: unknown, body: JobBody): Issue[] {
  if (!body.enrichment) return [];
  const issues: Issue[] = [];
  if (body.steps)
    issues.push({
      path: 'enrichment',
      message:
        'cannot be combined with steps: steps render their own templates, ' +
        'so the enriched prompt would not be used',
    });
  const raw = (input as { enrichment?: { entities?: unknown; variables?: unknown } }).enrichment;
  for (const type of ownKeys(raw?.entities))
    if (!isEntityType(type))
      issues.push({
        path: `enrichment.entities.${type}`,
        message: `unknown entity type "${type}": one of ${ENTITY_TYPES.join(', ')}`,
      });
  for (const name of ownKeys(raw?.variables))
    if (isReservedKey(name))
      issues.push({ path: `enrichment.variables.${name}`, message: `"${name}" is reserved` });
  return issues;
}

function ownKeys(value: unknown): string[] {
  return value !== null && typeof value === 'object' ? Object.keys(value) : [];
}

// Crockford base32: no I, L, O, U, so ids survive being read aloud or typed.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out;
}

/** A ULID (48-bit ms time + 80 random bits): ids sort by acceptance, which keeps btree inserts local. */
export function ulid(nowMs: number, random: Uint8Array = randomBytes(10)): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + base32(random.subarray(0, 10)).slice(0, 16);
}

const IDEMPOTENCY_KEY = /^[\x21-\x7E][\x20-\x7E]{0,254}$/;

/**
 * The request id. With an Idempotency-Key it is derived (same tenant + key → same id, so a retry
 * lands on the same job row and the same Kafka key); the tenant is part of the hash so two
 * tenants using the same key never collide. The newline separator keeps `ab`+`c` ≠ `a`+`bc`.
 */
export function requestIdFor(
  tenantId: string,
  idempotencyKey: string | undefined,
  nowMs: number,
  random?: Uint8Array,
): string {
  if (idempotencyKey === undefined) return `req_${ulid(nowMs, random)}`;
  const digest = createHash('sha256').update(`${tenantId}\n${idempotencyKey}`).digest();
  return `req_${base32(digest).slice(0, 26)}`;
}

/** An Idempotency-Key header value: 1-255 printable ASCII characters; absent is fine. */
export function parseIdempotencyKey(
  header: string | string[] | undefined,
): Outcome<string | undefined> {
  if (header === undefined) return { ok: true, value: undefined };
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    return invalid([
      { path: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters, given once' },
    ]);
  }
  return { ok: true, value: header };
}

const WAIT_VALUE = /^\d{1,6}(\.\d{1,3})?$/;

/**
 * How long the client wants to hold the request open, in seconds (null: do not wait).
 * `?wait=N` wins over `Prefer: wait=N`. A malformed query value is a 400; a malformed Prefer
 * preference is ignored, as RFC 7240 asks of preferences a server cannot honour. Capped at max.
 */
export function parseWait(
  header: string | string[] | undefined,
  query: unknown,
  max: number,
): Outcome<number | null> {
  if (query !== undefined) {
    if (typeof query !== 'string' || !WAIT_VALUE.test(query)) {
      return invalid([
        { path: 'wait', message: 'query parameter wait must be a number of seconds, given once' },
      ]);
    }
    return { ok: true, value: capWait(Number(query), max) };
  }
  const prefer = preferWait(header);
  return { ok: true, value: prefer === undefined ? null : capWait(prefer, max) };
}

function capWait(seconds: number, max: number): number | null {
  return seconds <= 0 ? null : Math.min(seconds, max);
}

/** Finds `wait=N` among RFC 7240 preferences (`respond-async, wait=10`; params after `;`). */
function preferWait(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const values = Array.isArray(header) ? header : [header];
  let found: number | undefined;
  for (const pref of values.flatMap((v) => v.split(','))) {
    const [token = ''] = pref.split(';');
    const eq = token.indexOf('=');
    if (eq < 0 || token.slice(0, eq).trim().toLowerCase() !== 'wait') continue;
    const raw = token
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (WAIT_VALUE.test(raw)) found = Number(raw);
  }
  return found;
}

export interface BuildMessageInput {
  requestId: string;
  tenantId: string;
  mode: RequestMode;
  acceptedAt: Date;
  deadlineAt: Date;
  body: JobBody;
  traceparent?: string | undefined;
}

/** Splits the Asahi fields off the chat body and assembles the wire message (schema version 1). */
export function buildRequestMessage(input: BuildMessageInput): RequestMessage {
  const {
    callback,
    cache,
    metadata,
    routing,
    optimization,
    enrichment,
    steps,
    priority,
    deadline_at: _at,
    deadline_seconds: _s,
    stream: _st,
    n: _n,
    ...chat
  } = input.body;
  const message: RequestMessage = {
    schemaVersion: 1,
    requestId: input.requestId,
    tenantId: input.tenantId,
    mode: input.mode,
    acceptedAt: input.acceptedAt.toISOString(),
    deadlineAt: input.deadlineAt.toISOString(),
    body: chat satisfies ChatRequest,
  };
  if (callback) message.callback = callback;
  if (cache) message.cache = cache;
  if (metadata) message.metadata = metadata;
  if (routing) message.routing = routing;
  if (optimization) message.optimization = optimization;
  if (enrichment) message.enrichment = enrichment;
  if (steps) message.steps = steps;
  if (priority) message.priority = priority;
  if (input.traceparent) message.traceparent = input.traceparent;
  return message;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The W3C trace context to carry on, when the caller sent a well-formed one. */
export function parseTraceparent(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && TRACEPARENT.test(header) ? header : undefined;
}

/** Key-order-independent JSON (Postgres jsonb does not keep key order), for body comparison. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
