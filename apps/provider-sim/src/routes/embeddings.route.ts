import type { ModelInfo } from '@asahi/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { embedText, toBase64 } from '../embedding';
import { latencyMs } from '../latency';
import { embeddingDimensions, resolveModel } from '../models';
import { invalidRequest, modelNotFound } from '../openai-error';
import type { SimContext } from '../sim-context';
import { countTokens, decodeTokens } from '../tokens';
import { parseEmbeddingsRequest, type ParsedEmbeddingsRequest } from '../validation';
import { admit, drawFault, injectFault } from './provider-call';

const MAX_TOKENS_PER_REQUEST = 300_000;

export function registerEmbeddings(app: FastifyInstance, ctx: SimContext): void {
  app.post('/embeddings', (req, reply) => handleEmbeddings(ctx, req, reply));
}

export interface PreparedEmbeddings {
  request: ParsedEmbeddingsRequest;
  model: ModelInfo;
  texts: string[];
  tokenCounts: number[];
  dimensions: number;
}

/** Validation and token limits, shared with batch items. */
export function prepareEmbeddings(body: unknown): PreparedEmbeddings {
  const request = parseEmbeddingsRequest(body);
  const model = resolveModel(request.model);
  if (!model) throw modelNotFound(request.model);
  if (model.kind !== 'embedding')
    throw invalidRequest(`The model \`${request.model}\` does not support embeddings.`, 'model');
  const native = embeddingDimensions(model);
  if (request.dimensions !== undefined && request.dimensions > native) {
    throw invalidRequest(
      `Invalid value for 'dimensions' = ${request.dimensions}. Must be less than or equal to ${native}.`,
      'dimensions',
    );
  }
  const texts: string[] = [];
  const tokenCounts: number[] = [];
  for (const input of request.inputs) {
    const text = input.kind === 'text' ? input.text : decodeOrThrow(input.tokens, model);
    const tokens =
      input.kind === 'text' ? countTokens(input.text, model.encoding) : input.tokens.length;
    if (tokens > model.contextWindow) {
      throw invalidRequest(
        `This model's maximum context length is ${model.contextWindow + 1} tokens, however you requested ${tokens} tokens (${tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
      );
    }
    texts.push(text);
    tokenCounts.push(tokens);
  }
  const total = tokenCounts.reduce((a, b) => a + b, 0);
  if (total > MAX_TOKENS_PER_REQUEST) {
    throw invalidRequest(
      `Requested ${total} tokens, max ${MAX_TOKENS_PER_REQUEST} tokens per request`,
      'input',
      'max_tokens_per_request',
    );
  }
  return { request, model, texts, tokenCounts, dimensions: request.dimensions ?? native };
}

function prepare(ctx: SimContext, body: unknown): PreparedEmbeddings {
  try {
    return prepareEmbeddings(body);
  } catch (err) {
    ctx.stats.invalid();
    throw err;
  }
}

function decodeOrThrow(tokens: number[], model: ModelInfo): string {
  try {
    return decodeTokens(tokens, model.encoding);
  } catch {
    throw invalidRequest(
      "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
    );
  }
}

async function handleEmbeddings(
  ctx: SimContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const rawModel = (req.body as { model?: unknown } | undefined)?.model;
  ctx.stats.received('embeddings', typeof rawModel === 'string' ? rawModel : undefined);
  const { request, model, texts, tokenCounts, dimensions } = prepare(ctx, req.body);

  const fault = drawFault(ctx, 'embeddings', [request.model, model.id]);
  if (fault)
    return injectFault(ctx, fault, { req, reply, endpoint: 'embeddings', model: model.id });

  const promptTokens = tokenCounts.reduce((a, b) => a + b, 0);
  admit(ctx, reply, model.id, promptTokens);
  const body = embeddingsBody({ request, model, texts, tokenCounts, dimensions });
  ctx.stats.succeeded('embeddings', request.model, promptTokens, 0);
  ctx.metrics.tokens.inc({ model: model.id, kind: 'prompt' }, promptTokens);
  await ctx.sleep(latencyMs(ctx.latency, 0, ctx.jitterRng));
  return body;
}

/** The `list` of embeddings for a prepared request. */
export function embeddingsBody(prepared: PreparedEmbeddings) {
  const { request, model, texts, tokenCounts, dimensions } = prepared;
  const promptTokens = tokenCounts.reduce((a, b) => a + b, 0);
  const data = texts.map((text, index) => {
    const vector = embedText(text, model.id, dimensions);
    const embedding = request.encodingFormat === 'base64' ? toBase64(vector) : Array.from(vector);
    return { object: 'embedding', index, embedding };
  });
  return {
    object: 'list',
    data,
    model: request.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
