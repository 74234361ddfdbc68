import { randomBytes } from 'node:crypto';
import { BATCH_DISCOUNT, type ModelInfo } from '@asahi/contracts';
import type { BatchEndpoint, BatchItem } from './batch-input';
import type { FaultKind } from './faults';
import { systemFingerprint } from './models';
import { OpenAiError, overloaded, serverError } from './openai-error';
import { sha256Hex } from './prng';
import { chatCompletionBody, generateChoices, prepareChat } from './routes/chat-completions.route';
import { embeddingsBody, prepareEmbeddings } from './routes/embeddings.route';
import { completionId } from './routes/provider-call';
import { usageOf } from './usage';

/** One line of a batch output or error file. */
export interface BatchResultLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

export interface BatchItemResult {
  ok: boolean;
  line: BatchResultLine;
  promptTokens: number;
  completionTokens: number;
  realtimeCostUsd: number;
  billedCostUsd: number;
}

/** An item whose body passed the realtime endpoint's validation. */
export type PrepareResult =
  | { kind: 'chat'; prepared: ReturnType<typeof prepareChat> }
  | { kind: 'embeddings'; prepared: ReturnType<typeof prepareEmbeddings> };

const requestId = () => `req_${randomBytes(16).toString('hex')}`;
const batchRequestId = () => completionId('batch_req_');

/**
 * Validates an item's body exactly as the realtime endpoint would (same code path), so a batch
 * line fails with the same 400/404 body a realtime call would get.
 */
export function prepareItem(
  item: BatchItem,
  endpoint: BatchEndpoint,
): PrepareResult | { error: OpenAiError } {
  try {
    return endpoint === '/v1/chat/completions'
      ? { kind: 'chat', prepared: prepareChat(item.body) }
      : { kind: 'embeddings', prepared: prepareEmbeddings(item.body) };
  } catch (err) {
    if (err instanceof OpenAiError) return { error: err };
    throw err;
  }
}

export function preparedModel(p: PrepareResult): ModelInfo {
  return p.prepared.model;
}

/** The answer for a valid item: the same body the realtime endpoint returns for it. */
export function answerItem(item: BatchItem, p: PrepareResult, nowMs: number): BatchItemResult {
  let body: unknown;
  let promptTokens: number;
  let completionTokens = 0;
  if (p.kind === 'chat') {
    const choices = generateChoices(p.prepared);
    promptTokens = p.prepared.promptTokens;
    completionTokens = choices.reduce((sum, c) => sum + c.completionTokens, 0);
    body = chatCompletionBody(
      {
        id: completionId(),
        created: Math.floor(nowMs / 1000),
        model: p.prepared.request.model,
        fingerprint: systemFingerprint(p.prepared.model.id, sha256Hex),
      },
      choices,
      usageOf(promptTokens, completionTokens),
    );
  } else {
    promptTokens = p.prepared.tokenCounts.reduce((a, b) => a + b, 0);
    body = embeddingsBody(p.prepared);
  }
  const model = p.prepared.model;
  const realtimeCostUsd =
    (promptTokens * model.inputPer1M + completionTokens * model.outputPer1M) / 1_000_000;
  return {
    ok: true,
    line: responseLine(item, 200, body),
    promptTokens,
    completionTokens,
    realtimeCostUsd,
    billedCostUsd: realtimeCostUsd * BATCH_DISCOUNT,
  };
}

/** A request-level failure (invalid body, injected fault): a line of the error file. */
export function failItem(item: BatchItem, error: OpenAiError): BatchItemResult {
  return {
    ok: false,
    line: responseLine(item, error.status, error.body()),
    promptTokens: 0,
    completionTokens: 0,
    realtimeCostUsd: 0,
    billedCostUsd: 0,
  };
}

/**
 * What an injected fault does to a batch item: there is no socket to hang or truncate, so
 * `timeout` and `malformed` become the 500 a provider-side failure produces.
 */
export function faultError(kind: FaultKind): OpenAiError {
  if (kind === '503') return overloaded();
  if (kind === '429') {
    return new OpenAiError(
      429,
      'Rate limit reached while processing this batch request (simulated fault).',
      'requests',
      null,
      'rate_limit_exceeded',
    );
  }
  return serverError();
}

/** An item the batch never ran because it expired first (OpenAI's `batch_expired` line). */
export function expiredLine(item: BatchItem): BatchResultLine {
  return {
    id: batchRequestId(),
    custom_id: item.customId,
    response: null,
    error: {
      code: 'batch_expired',
      message: 'This request could not be executed before the completion window expired.',
    },
  };
}

function responseLine(item: BatchItem, statusCode: number, body: unknown): BatchResultLine {
  return {
    id: batchRequestId(),
    custom_id: item.customId,
    response: { status_code: statusCode, request_id: requestId(), body },
    error: null,
  };
}
