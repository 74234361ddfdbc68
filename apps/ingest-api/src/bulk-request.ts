import { createHash } from 'node:crypto';
import {
  priorityClassSchema,
  z,
  type PriorityClass,
  type RequestMessage,
  type RoutingMode,
} from '@asahi/contracts';
import { base32, buildRequestMessage, parseJobBody, ulid, type JobBody } from './job-request';
import { modelsRunAsNamed } from './model-check';
import { invalid, type Issue, type Outcome } from './outcome';

/**
 * A bulk upload in the OpenAI Batch input format, one JSON object per line:
 * `{"custom_id": "...", "method": "POST", "url": "/v1/chat/completions", "body": {...}}`.
 * Pure: splitting, validating and building messages take plain data (clock and randomness
 * passed in), so every rule is unit-tested table-driven.
 */

export const BULK_URL = '/v1/chat/completions';
export const CUSTOM_ID_MAX = 64;

export type RejectCode = 'invalid_request' | 'unknown_model';

/** A line that was not accepted, and why: listed in the response, never silently dropped. */
export interface RejectedLine {
  /** 1-based physical line number in the upload (blank lines count). */
  line: number;
  custom_id?: string;
  code: RejectCode;
  message: string;
  issues?: Issue[];
}

/** A line that passed validation. */
export interface BulkLine {
  line: number;
  customId: string;
  body: JobBody;
}

export interface ParsedUpload {
  lines: BulkLine[];
  rejected: RejectedLine[];
}

const envelopeSchema = z
  .object({
    custom_id: z.string().min(1).max(CUSTOM_ID_MAX),
    method: z.literal('POST'),
    url: z.literal(BULK_URL),
    body: z.unknown(),
  })
  .strict();

/** The deadline of every line is the upload's completion window: a line cannot name its own. */
const PER_LINE_DEADLINE_FIELDS = ['deadline_seconds', 'deadline_at'] as const;

/** Non-blank lines with their 1-based numbers; CRLF and a leading BOM are tolerated. */
export function splitLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const raw = text.startsWith('\uFEFF') ? text.slice(1) : text;
  raw.split('\n').forEach((physical, i) => {
    const line = physical.endsWith('\r') ? physical.slice(0, -1) : physical;
    if (line.trim() !== '') out.push({ line: i + 1, text: line });
  });
  return out;
}

/**
 * Validates every line of an upload. The upload itself fails (400) only when it has no lines or
 * too many; otherwise good lines and rejected lines come back side by side (partial acceptance).
 * A custom_id must be unique: every occurrence after the first is rejected.
 */
export function parseBulkUpload(
  text: string,
  options: { maxLines: number },
): Outcome<ParsedUpload> {
  const physical = splitLines(text);
  if (physical.length === 0) {
    return invalid([
      { path: '(root)', message: 'the upload has no lines: send one JSON object per line' },
    ]);
  }
  if (physical.length > options.maxLines) {
    return invalid([
      {
        path: '(root)',
        message: `at most ${options.maxLines} lines per upload (got ${physical.length})`,
      },
    ]);
  }
  const firstSeen = new Map<string, number>();
  const lines: BulkLine[] = [];
  const rejected: RejectedLine[] = [];
  for (const { line, text: raw } of physical) {
    const outcome = parseLine(raw, line, firstSeen);
    if ('body' in outcome) lines.push(outcome);
    else rejected.push(outcome);
  }
  return { ok: true, value: { lines, rejected } };
}

function parseLine(
  raw: string,
  line: number,
  firstSeen: Map<string, number>,
): BulkLine | RejectedLine {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    const message = `Malformed JSON: ${(err as Error).message}`;
    return { line, code: 'invalid_request', message, issues: [{ path: '(root)', message }] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject(line, undefined, [{ path: '(root)', message: 'must be a JSON object' }]);
  }
  const fields = value as Record<string, unknown>;
  const customId =
    typeof fields.custom_id === 'string' &&
    fields.custom_id.length > 0 &&
    fields.custom_id.length <= CUSTOM_ID_MAX
      ? fields.custom_id
      : undefined;
  const issues: Issue[] = [];
  const envelope = envelopeSchema.safeParse(fields);
  if (!envelope.success) issues.push(...zodIssues(envelope.error.issues));
  if (customId !== undefined) {
    const first = firstSeen.get(customId);
    if (first !== undefined)
      issues.push({ path: 'custom_id', message: `duplicate custom_id (first on line ${first})` });
    else firstSeen.set(customId, line);
  }
  const body = bodyOf(fields, issues);
  if (issues.length > 0 || !body || customId === undefined) return reject(line, customId, issues);
  return { line, customId, body };
}

/** The line's body validated like a POST /v1/jobs body; issues are reported under `body.`. */
function bodyOf(fields: Record<string, unknown>, issues: Issue[]): JobBody | undefined {
  if (fields.body === undefined) {
    issues.push({ path: 'body', message: 'required: the chat completions request body' });
    return undefined;
  }
  const parsed = parseJobBody(fields.body);
  if (!parsed.ok) {
    issues.push(
      ...parsed.issues.map((i) => ({
        path: i.path === '(root)' ? 'body' : `body.${i.path}`,
        message: i.message,
      })),
    );
    return undefined;
  }
  for (const field of PER_LINE_DEADLINE_FIELDS) {
    if (parsed.value[field] !== undefined)
      issues.push({
        path: `body.${field}`,
        message: 'not allowed in a bulk upload: completion_window sets the deadline',
      });
  }
  return parsed.value;
}

function reject(line: number, customId: string | undefined, issues: Issue[]): RejectedLine {
  const { reason } = invalid(issues);
  return {
    line,
    ...(customId !== undefined ? { custom_id: customId } : {}),
    code: 'invalid_request',
    message: reason,
    issues,
  };
}

function zodIssues(issues: readonly z.core.$ZodIssue[]): Issue[] {
  return issues
    .slice(0, 20)
    .map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/**
 * The distinct models the lines will run as named (see `modelsRunAsNamed`: `model` under EXPLICIT
 * routing, every step's `model`), to check against the registry.
 */
export function explicitModels(lines: readonly BulkLine[], tenantMode?: RoutingMode): string[] {
  const names = new Set<string>();
  for (const l of lines) for (const n of modelsRunAsNamed(l.body, tenantMode)) names.add(n.model);
  return [...names];
}

/**
 * Moves lines that name a model run as named (see `explicitModels`) which is not runnable to the
 * rejected list (code `unknown_model`, one issue per place the line names it), keeping the
 * rejected list in line order.
 */
export function rejectUnknownModels(
  upload: ParsedUpload,
  unknownModels: ReadonlySet<string>,
  tenantMode?: RoutingMode,
): ParsedUpload {
  if (unknownModels.size === 0) return upload;
  const lines: BulkLine[] = [];
  const rejected = [...upload.rejected];
  for (const l of upload.lines) {
    const refused = modelsRunAsNamed(l.body, tenantMode).filter((n) => unknownModels.has(n.model));
    if (refused.length === 0) {
      lines.push(l);
      continue;
    }
    const names = [...new Set(refused.map((n) => n.model))].join(', ');
    rejected.push({
      line: l.line,
      custom_id: l.customId,
      code: 'unknown_model',
      message: `Unknown or disabled model: ${names}`,
      issues: refused.map((n) => ({
        path: `body.${n.path}`,
        message: 'not in the model registry',
      })),
    });
  }
  rejected.sort((a, b) => a.line - b.line);
  return { lines, rejected };
}

/**
 * The bulk id. With an Idempotency-Key it is derived (same tenant + key → same bulk, so a retried
 * upload maps to the same jobs); without, a ULID. The `bulk` prefix in the hash keeps it apart
 * from POST /v1/jobs ids derived from the same key.
 */
export function bulkIdFor(
  tenantId: string,
  idempotencyKey: string | undefined,
  nowMs: number,
  random?: Uint8Array,
): string {
  if (idempotencyKey === undefined) return `bulk_${ulid(nowMs, random)}`;
  const digest = createHash('sha256').update(`bulk\n${tenantId}\n${idempotencyKey}`).digest();
  return `bulk_${base32(digest).slice(0, 26)}`;
}

/** A line's request id: deterministic in (tenant, bulk, custom_id). Neither id holds a newline. */
export function bulkRequestIdFor(tenantId: string, bulkId: string, customId: string): string {
  const digest = createHash('sha256').update(`${tenantId}\n${bulkId}\n${customId}`).digest();
  return `req_${base32(digest).slice(0, 26)}`;
}

export interface BulkContext {
  tenantId: string;
  bulkId: string;
  acceptedAt: Date;
  deadlineAt: Date;
  /** The upload's `?priority`; a line's own `priority` wins. Absent → derived from the mode. */
  priority?: PriorityClass | undefined;
  traceparent?: string | undefined;
}

/** The RequestMessage of one accepted line: mode bulk, the upload's deadline, ids in metadata. */
export function buildBulkMessage(line: BulkLine, ctx: BulkContext): RequestMessage {
  const priority = line.body.priority ?? ctx.priority;
  const body: JobBody = {
    ...line.body,
    metadata: { ...line.body.metadata, bulk_id: ctx.bulkId, custom_id: line.customId },
    ...(priority ? { priority } : {}),
  };
  return buildRequestMessage({
    requestId: bulkRequestIdFor(ctx.tenantId, ctx.bulkId, line.customId),
    tenantId: ctx.tenantId,
    mode: 'bulk',
    acceptedAt: ctx.acceptedAt,
    deadlineAt: ctx.deadlineAt,
    body,
    traceparent: ctx.traceparent,
  });
}

/** The `priority` query parameter: a priority class, given at most once. */
export function parsePriority(query: unknown): Outcome<PriorityClass | undefined> {
  if (query === undefined) return { ok: true, value: undefined };
  const parsed = priorityClassSchema.safeParse(query);
  if (parsed.success) return { ok: true, value: parsed.data };
  return invalid([
    { path: 'priority', message: 'must be one of interactive, standard, background, given once' },
  ]);
}

/**
 * Splits items into runs of at most `maxCount` items and `maxBytes` (by `sizeOf`), in order; an
 * item larger than `maxBytes` gets a run of its own. Keeps each Kafka produce request well under
 * the broker's message size limit however large the upload is.
 */
export function chunkBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: { maxBytes: number; maxCount: number },
): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (
      current.length > 0 &&
      (bytes + size > limits.maxBytes || current.length >= limits.maxCount)
    ) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
