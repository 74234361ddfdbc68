import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { ChatRequest } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import type { ProviderAnswer } from '@asahi/stages';
import { toAnswer, toCompletionParams, toProviderError } from './openai-chat.provider';

/**
 * OpenAI's Batch API (files + batches) for chat requests: half price, answered within the
 * completion window. Items fail one by one; a bad line never fails the others, and items that
 * never ran (expired, cancelled) are handed back as `missing` so the caller can send them realtime.
 */
export interface OpenAiBatchClientOptions {
  /** Build it with `maxRetries: 0`: retries belong to the queue, as for the realtime adapter. */
  client: OpenAI;
}

export interface BatchSubmitItem {
  /** Unique within the batch; comes back on the answer line. */
  customId: string;
  body: ChatRequest;
}

export interface BatchSubmitOptions {
  endpoint: 'chat';
  /** OpenAI allows 16 pairs, keys ≤ 64 and values ≤ 512 characters. */
  metadata?: Record<string, string>;
}

export type BatchState = Batch['status'];

export interface BatchStatus {
  id: string;
  status: BatchState;
  /** True for completed, failed, expired and cancelled: nothing will change any more. */
  finished: boolean;
  requestCounts: { total: number; completed: number; failed: number };
  /** Epoch milliseconds (the API sends seconds); null until the batch reaches that state. */
  timestamps: {
    createdAt: number;
    inProgressAt: number | null;
    finalizingAt: number | null;
    completedAt: number | null;
    failedAt: number | null;
    expiredAt: number | null;
    cancellingAt: number | null;
    cancelledAt: number | null;
    expiresAt: number | null;
  };
  inputFileId: string;
  outputFileId: string | null;
  errorFileId: string | null;
  /** Why validation failed the whole batch (status `failed`); empty otherwise. */
  errors: { code: string; message: string; line: number | null }[];
}

export type BatchItemResult = { ok: true; answer: ProviderAnswer } | { ok: false; error: AppError };

export interface BatchCollection {
  results: Map<string, BatchItemResult>;
  /** Submitted ids with no answer or error (never ran: expired, cancelled, failed validation). */
  missing: string[];
  /** Lines that could not be tied to any custom id (unparseable, no custom_id). */
  unattributedLines: number;
}

export interface OpenAiBatchClient {
  submit(
    items: BatchSubmitItem[],
    options: BatchSubmitOptions,
  ): Promise<{ batchId: string; inputFileId: string }>;
  poll(batchId: string): Promise<BatchStatus>;
  /**
   * The most recent batch carrying `metadata[key] === value` among the latest `scan` batches, or
   * null: how a worker that died between creating a batch and recording it finds it again.
   */
  findByMetadata(
    key: string,
    value: string,
    scan?: number,
  ): Promise<{ batchId: string; inputFileId: string } | null>;
  cancel(batchId: string): Promise<BatchStatus>;
  /**
   * Downloads and maps the output and error files of a finished batch. `customIds` is the list
   * that was submitted; without it the input file is downloaded to learn it.
   */
  collect(batchId: string, options?: { customIds?: string[] }): Promise<BatchCollection>;
}

const CHAT_URL = '/v1/chat/completions';
const FINISHED: ReadonlySet<BatchState> = new Set(['completed', 'failed', 'expired', 'cancelled']);
// Line-level error codes for items the batch never ran: the caller should send them realtime.
const NOT_RUN_CODES: ReadonlySet<string> = new Set(['batch_expired', 'batch_cancelled']);

/** The client over the OpenAI SDK for an API key and base URL (SDK retries off, as documented). */
export function openAiBatchClientFor(options: {
  apiKey: string;
  baseURL: string;
}): OpenAiBatchClient {
  return createOpenAiBatchClient({ client: new OpenAI({ ...options, maxRetries: 0 }) });
}

export function createOpenAiBatchClient({ client }: OpenAiBatchClientOptions): OpenAiBatchClient {
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw toProviderError(err);
    }
  };
  const download = (fileId: string) =>
    call(async () => (await client.files.content(fileId)).text());

  return {
    async submit(items, options) {
      const jsonl = toBatchJsonl(items);
      return call(async () => {
        const file = await client.files.create({
          file: await toFile(Buffer.from(jsonl), 'batch.jsonl'),
          purpose: 'batch',
        });
        const batch = await client.batches.create({
          input_file_id: file.id,
          endpoint: CHAT_URL,
          completion_window: '24h',
          ...(options.metadata ? { metadata: options.metadata } : {}),
        });
        return { batchId: batch.id, inputFileId: file.id };
      });
    },
    poll: async (batchId) => toBatchStatus(await call(() => client.batches.retrieve(batchId))),
    async findByMetadata(key, value, scan = 500) {
      return call(async () => {
        let seen = 0;
        for await (const batch of client.batches.list({ limit: 100 })) {
          if (batch.metadata?.[key] === value)
            return { batchId: batch.id, inputFileId: batch.input_file_id };
          if (++seen >= scan) break;
        }
        return null;
      });
    },
    cancel: async (batchId) => toBatchStatus(await call(() => client.batches.cancel(batchId))),
    async collect(batchId, options = {}) {
      const batch = await call(() => client.batches.retrieve(batchId));
      if (!FINISHED.has(batch.status)) {
        throw new AppError(
          'conflict',
          `Batch ${batchId} is ${batch.status}; collect it once finished`,
          {
            retryable: true,
          },
        );
      }
      const customIds =
        options.customIds ?? customIdsOf(await download(batch.input_file_id)).customIds;
      const texts = await Promise.all(
        [batch.output_file_id, batch.error_file_id].map((id) => (id ? download(id) : '')),
      );
      const parsed = parseBatchLines(texts.join('\n'), batch.model ?? '');
      const missing = customIds.filter((id) => !parsed.results.has(id));
      return { results: parsed.results, missing, unattributedLines: parsed.unattributedLines };
    },
  };
}

/** One JSONL line per item; rejects what OpenAI would fail the whole batch for, before uploading. */
export function toBatchJsonl(items: BatchSubmitItem[]): string {
  if (items.length === 0) throw new AppError('invalid_request', 'A batch needs at least one item');
  const seen = new Set<string>();
  const model = items[0]!.body.model;
  const lines = items.map(({ customId, body }) => {
    if (!customId) throw new AppError('invalid_request', 'Every batch item needs a customId');
    if (seen.has(customId))
      throw new AppError('invalid_request', `Duplicate customId in batch: ${customId}`);
    if (body.model !== model)
      throw new AppError('invalid_request', `One model per batch: ${model} and ${body.model}`);
    seen.add(customId);
    return JSON.stringify({
      custom_id: customId,
      method: 'POST',
      url: CHAT_URL,
      body: toCompletionParams(body),
    });
  });
  return lines.join('\n') + '\n';
}

function toBatchStatus(batch: Batch): BatchStatus {
  const ms = (seconds: number | null | undefined) =>
    typeof seconds === 'number' ? seconds * 1000 : null;
  return {
    id: batch.id,
    status: batch.status,
    finished: FINISHED.has(batch.status),
    requestCounts: {
      total: batch.request_counts?.total ?? 0,
      completed: batch.request_counts?.completed ?? 0,
      failed: batch.request_counts?.failed ?? 0,
    },
    timestamps: {
      createdAt: batch.created_at * 1000,
      inProgressAt: ms(batch.in_progress_at),
      finalizingAt: ms(batch.finalizing_at),
      completedAt: ms(batch.completed_at),
      failedAt: ms(batch.failed_at),
      expiredAt: ms(batch.expired_at),
      cancellingAt: ms(batch.cancelling_at),
      cancelledAt: ms(batch.cancelled_at),
      expiresAt: ms(batch.expires_at),
    },
    inputFileId: batch.input_file_id,
    outputFileId: batch.output_file_id ?? null,
    errorFileId: batch.error_file_id ?? null,
    errors: (batch.errors?.data ?? []).map((e) => ({
      code: e.code ?? 'unknown',
      message: e.message ?? '',
      line: e.line ?? null,
    })),
  };
}

export interface ParsedBatchLines {
  /** Answered or failed items; items that never ran (batch_expired/cancelled) are left out. */
  results: Map<string, BatchItemResult>;
  unattributedLines: number;
}

/**
 * Maps output/error file text to per-item results. Never throws: a line that cannot be read
 * becomes `provider_bad_response` for its custom id when one can be found, else is counted.
 * The first line for a custom id wins.
 */
export function parseBatchLines(text: string, fallbackModel = ''): ParsedBatchLines {
  const results = new Map<string, BatchItemResult>();
  let unattributedLines = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const parsed = parseLine(line, fallbackModel);
    if (!parsed) unattributedLines += 1;
    else if (parsed.result && !results.has(parsed.customId))
      results.set(parsed.customId, parsed.result);
  }
  return { results, unattributedLines };
}

type ParsedLine = { customId: string; result: BatchItemResult | null } | null;

function parseLine(line: string, fallbackModel: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    const customId = /"custom_id"\s*:\s*"([^"\\]+)"/.exec(line)?.[1];
    return customId ? { customId, result: badLine(customId, 'is not valid JSON') } : null;
  }
  if (!isRecord(value) || typeof value.custom_id !== 'string' || !value.custom_id) return null;
  const customId = value.custom_id;
  const { response, error } = value;
  if (isRecord(response) && typeof response.status_code === 'number') {
    return { customId, result: fromResponse(customId, response, fallbackModel) };
  }
  if (isRecord(error)) {
    const code = typeof error.code === 'string' ? error.code : 'unknown';
    if (NOT_RUN_CODES.has(code)) return { customId, result: null };
    const message = typeof error.message === 'string' ? error.message.slice(0, 300) : '';
    return {
      customId,
      result: {
        ok: false,
        error: new AppError(
          'provider_error',
          `Batch item ${customId} failed (${code}): ${message}`,
        ),
      },
    };
  }
  return { customId, result: badLine(customId, 'has neither a response nor an error') };
}

function fromResponse(
  customId: string,
  response: Record<string, unknown>,
  fallbackModel: string,
): BatchItemResult {
  const status = response.status_code as number;
  const body = response.body;
  if (status >= 200 && status < 300) {
    if (!isRecord(body)) return badLine(customId, 'has no response body');
    try {
      const model = typeof body.model === 'string' && body.model ? body.model : fallbackModel;
      return { ok: true, answer: toAnswer(body as unknown as OpenAI.ChatCompletion, model) };
    } catch (err) {
      return { ok: false, error: toProviderError(err) };
    }
  }
  // The same class-and-status mapping as a realtime call that got this status and body.
  const apiError = OpenAI.APIError.generate(
    status,
    isRecord(body) ? body : undefined,
    `Batch item ${customId} answered ${status}`,
    new Headers(),
  );
  return { ok: false, error: toProviderError(apiError) };
}

function badLine(customId: string, why: string): BatchItemResult {
  return {
    ok: false,
    error: new AppError('provider_bad_response', `Batch line for ${customId} ${why}`),
  };
}

/** Custom ids of an input file, in order (used when the caller did not keep them). */
export function customIdsOf(inputJsonl: string): { customIds: string[] } {
  const customIds: string[] = [];
  for (const line of inputJsonl.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value) && typeof value.custom_id === 'string') customIds.push(value.custom_id);
    } catch {
      // A line OpenAI would have refused at validation: it has no item to miss.
    }
  }
  return { customIds };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
