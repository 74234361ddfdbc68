/**
 * Validation of a batch input file (JSONL, one `{custom_id, method, url, body}` per line), the
 * way OpenAI does it while the batch is `validating`: any structural problem fails the whole
 * batch with `errors.data[]` (code, message, param, 1-based line). Problems inside `body` (bad
 * chat parameters, unknown model) are not checked here: like OpenAI, they surface per request,
 * as a 400 line in the error file.
 */

export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/embeddings'] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchItem {
  customId: string;
  /** 1-based line in the input file. */
  line: number;
  body: Record<string, unknown>;
}

export type BatchInput =
  { ok: true; items: BatchItem[]; model: string } | { ok: false; errors: BatchError[] };

/** OpenAI lists at most this many problems; more would only bloat the batch object. */
const MAX_ERRORS = 1_000;

export function isBatchEndpoint(value: unknown): value is BatchEndpoint {
  return (BATCH_ENDPOINTS as readonly unknown[]).includes(value);
}

/** Non-blank lines with their 1-based line numbers (a trailing newline is not a line). */
export function jsonlLines(text: string): { line: number; text: string }[] {
  return text
    .split('\n')
    .map((t, i) => ({ line: i + 1, text: t.replace(/\r$/, '') }))
    .filter((l) => l.text.trim() !== '');
}

export function parseBatchInput(
  text: string,
  endpoint: BatchEndpoint,
  maxLines: number,
): BatchInput {
  const lines = jsonlLines(text);
  if (lines.length === 0) {
    return { ok: false, errors: [err('empty_file', 'The batch input file is empty.', null, null)] };
  }
  if (lines.length > maxLines) {
    return {
      ok: false,
      errors: [
        err(
          'too_many_tasks',
          `The batch input file has ${lines.length} requests; the maximum is ${maxLines}.`,
          null,
          null,
        ),
      ],
    };
  }
  const errors: BatchError[] = [];
  const items: BatchItem[] = [];
  const seen = new Set<string>();
  let model: string | undefined;
  for (const { line, text: raw } of lines) {
    const parsed = parseLine(raw, line, endpoint);
    if ('error' in parsed) {
      errors.push(parsed.error);
    } else if (seen.has(parsed.item.customId)) {
      errors.push(
        err(
          'duplicate_custom_id',
          'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.',
          'custom_id',
          line,
        ),
      );
    } else {
      seen.add(parsed.item.customId);
      const lineModel = parsed.item.body.model as string;
      model ??= lineModel;
      if (lineModel !== model) {
        errors.push(
          err(
            'mismatched_model',
            'The provided model does not match the model of other requests in the batch. All requests in a batch must use the same model.',
            'body.model',
            line,
          ),
        );
      } else {
        items.push(parsed.item);
      }
    }
    if (errors.length >= MAX_ERRORS) break;
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, items, model: model as string };
}

function parseLine(
  raw: string,
  line: number,
  endpoint: BatchEndpoint,
): { item: BatchItem } | { error: BatchError } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (!isObject(value)) {
    return {
      error: err('invalid_json_line', 'This line is not parseable as valid JSON.', null, line),
    };
  }
  const { custom_id: customId, method, url, body } = value;
  if (typeof customId !== 'string' || customId === '') {
    return { error: missing('custom_id', line) };
  }
  if (method === undefined) return { error: missing('method', line) };
  if (method !== 'POST') {
    return {
      error: err(
        'invalid_method',
        `Invalid value for 'method': expected 'POST', but got ${JSON.stringify(method)}.`,
        'method',
        line,
      ),
    };
  }
  if (url === undefined) return { error: missing('url', line) };
  if (url !== endpoint) {
    return {
      error: err(
        'invalid_url',
        `The URL provided for this request does not match the batch endpoint (${endpoint}).`,
        'url',
        line,
      ),
    };
  }
  if (body === undefined) return { error: missing('body', line) };
  if (!isObject(body)) {
    return {
      error: err('invalid_type', "Invalid type for 'body': expected an object.", 'body', line),
    };
  }
  if (typeof body.model !== 'string' || body.model === '') {
    return { error: missing('body.model', line) };
  }
  return { item: { customId, line, body } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function missing(param: string, line: number): BatchError {
  return err('missing_required_parameter', `Missing required parameter: '${param}'.`, param, line);
}

function err(code: string, message: string, param: string | null, line: number | null): BatchError {
  return { code, message, param, line };
}
