import type { FastifyInstance } from 'fastify';
import { BATCH_ENDPOINTS, isBatchEndpoint } from '../batch-input';
import type { BatchRecord, BatchRunner } from '../batch-runner';
import { batchTimeline, expiresAtMs } from '../batch-timeline';
import type { FileStore } from '../file-store';
import { invalidRequest, invalidType, missingParameter, OpenAiError } from '../openai-error';
import type { SimContext } from '../sim-context';
import { noSuchFile } from './files.route';

const MAX_METADATA_KEYS = 16;

const noSuchBatch = (id: string) =>
  new OpenAiError(404, `No batch found with id '${id}'.`, 'invalid_request_error', 'id');

/** /v1/batches: create, retrieve, cancel, list (newest first, `limit` + `after` cursor). */
export function registerBatches(
  app: FastifyInstance,
  ctx: SimContext,
  store: FileStore,
  runner: BatchRunner,
): void {
  const expiresAt = (r: BatchRecord) =>
    expiresAtMs(
      r.createdAt,
      batchTimeline(ctx.config.SIM_BATCH_TURNAROUND_MS, ctx.config.SIM_BATCH_COMPLETION_WINDOW_MS),
    );

  app.post('/batches', async (req) => {
    const input = parseCreate(req.body);
    const file = store.get(input.inputFileId);
    if (!file) throw noSuchFile(input.inputFileId);
    if (file.purpose !== 'batch') {
      throw invalidRequest(
        `The input file ${file.id} has purpose '${file.purpose}'; batches need purpose 'batch'.`,
        'input_file_id',
        'invalid_value',
      );
    }
    const record = runner.create(input);
    return toBatchObject(record, expiresAt(record));
  });

  app.get('/batches/:id', async (req) => {
    const { id } = req.params as { id: string };
    const record = runner.get(id);
    if (!record) throw noSuchBatch(id);
    return toBatchObject(record, expiresAt(record));
  });

  app.post('/batches/:id/cancel', async (req) => {
    const { id } = req.params as { id: string };
    const record = runner.get(id);
    if (!record) throw noSuchBatch(id);
    if (!runner.cancel(record)) {
      throw new OpenAiError(
        409,
        `Cannot cancel a batch with status '${record.status}'.`,
        'invalid_request_error',
      );
    }
    return toBatchObject(record, expiresAt(record));
  });

  app.get('/batches', async (req) => {
    const { limit: rawLimit, after } = req.query as { limit?: string; after?: string };
    const limit = rawLimit === undefined ? 20 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalidRequest(
        `Invalid 'limit': integer between 1 and 100 expected, got ${rawLimit}.`,
        'limit',
        'invalid_value',
      );
    }
    const all = runner.list();
    const from = after ? all.findIndex((r) => r.id === after) + 1 : 0;
    const page = all.slice(from, from + limit);
    const data = page.map((r) => toBatchObject(r, expiresAt(r)));
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: from + limit < all.length,
    };
  });
}

function parseCreate(body: unknown) {
  const b = (body ?? {}) as Record<string, unknown>;
  if (b.input_file_id === undefined) throw missingParameter('input_file_id');
  if (typeof b.input_file_id !== 'string')
    throw invalidType('input_file_id', 'a string', b.input_file_id);
  if (b.endpoint === undefined) throw missingParameter('endpoint');
  if (!isBatchEndpoint(b.endpoint)) {
    throw invalidRequest(
      `Invalid value for 'endpoint': ${JSON.stringify(b.endpoint)}. The simulator supports ${BATCH_ENDPOINTS.join(', ')}.`,
      'endpoint',
      'invalid_value',
    );
  }
  if (b.completion_window === undefined) throw missingParameter('completion_window');
  if (b.completion_window !== '24h') {
    throw invalidRequest(
      `Invalid value for 'completion_window': ${JSON.stringify(b.completion_window)}. Supported values are: '24h'.`,
      'completion_window',
      'invalid_value',
    );
  }
  return {
    inputFileId: b.input_file_id,
    endpoint: b.endpoint,
    completionWindow: b.completion_window,
    metadata: parseMetadata(b.metadata),
  };
}

function parseMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  const ok =
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length <= MAX_METADATA_KEYS &&
    Object.entries(value).every(
      ([k, v]) => k.length <= 64 && typeof v === 'string' && v.length <= 512,
    );
  if (!ok) {
    throw invalidRequest(
      `Invalid 'metadata': at most ${MAX_METADATA_KEYS} string keys (≤ 64 chars) with string values (≤ 512 chars).`,
      'metadata',
      'invalid_value',
    );
  }
  return value as Record<string, string>;
}

const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));

/** OpenAI's `batch` object. */
export function toBatchObject(r: BatchRecord, expiresAtMs: number) {
  return {
    id: r.id,
    object: 'batch' as const,
    endpoint: r.endpoint,
    model: r.model,
    errors: r.errors ? { object: 'list', data: r.errors } : null,
    input_file_id: r.inputFileId,
    completion_window: r.completionWindow,
    status: r.status,
    output_file_id: r.outputFileId,
    error_file_id: r.errorFileId,
    created_at: seconds(r.createdAt),
    in_progress_at: seconds(r.at.in_progress),
    expires_at: seconds(expiresAtMs),
    finalizing_at: seconds(r.at.finalizing),
    completed_at: seconds(r.at.completed),
    failed_at: seconds(r.at.failed),
    expired_at: seconds(r.at.expired),
    cancelling_at: seconds(r.at.cancelling),
    cancelled_at: seconds(r.at.cancelled),
    request_counts: { total: r.total, completed: r.completed, failed: r.failed },
    usage: {
      input_tokens: r.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: r.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: r.inputTokens + r.outputTokens,
    },
    metadata: r.metadata,
  };
}
