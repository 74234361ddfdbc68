import type { ModelInfo } from '@asahi/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { generateCompletion, type CompletionOutput } from '../completion';
import { latencyMs } from '../latency';
import { resolveModel, systemFingerprint } from '../models';
import { invalidRequest, modelNotFound, OpenAiError } from '../openai-error';
import { sha256Hex } from '../prng';
import type { SimContext } from '../sim-context';
import { countChatPromptTokens } from '../tokens';
import { parseChatRequest, type ParsedChatRequest } from '../validation';
import { admit, completionId, drawFault, injectFault } from './provider-call';
import { streamCompletion } from './chat-stream';
import { usageOf } from '../usage';

export function registerChatCompletions(app: FastifyInstance, ctx: SimContext): void {
  app.post('/chat/completions', (req, reply) => handleChat(ctx, req, reply));
}

export interface PreparedChat {
  request: ParsedChatRequest;
  model: ModelInfo;
  promptTokens: number;
}

/**
 * Validation, model lookup and context-window check: the 4xx a real call could get. Shared with
 * batch items, which must fail (and answer) exactly as the realtime endpoint would.
 */
export function prepareChat(body: unknown): PreparedChat {
  const request = parseChatRequest(body);
  const model = resolveModel(request.model);
  if (!model) throw modelNotFound(request.model);
  if (model.kind !== 'chat') {
    throw new OpenAiError(
      404,
      'This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?',
      'invalid_request_error',
      'model',
    );
  }
  const promptTokens = countChatPromptTokens(request.messages, model.encoding);
  const requested = promptTokens + (request.maxTokens ?? 0);
  if (requested > model.contextWindow) {
    throw invalidRequest(
      `This model's maximum context length is ${model.contextWindow} tokens. However, you requested ${requested} tokens (${promptTokens} in the messages, ${request.maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`,
      'messages',
      'context_length_exceeded',
    );
  }
  return { request, model, promptTokens };
}

function prepare(ctx: SimContext, body: unknown): PreparedChat {
  try {
    return prepareChat(body);
  } catch (err) {
    ctx.stats.invalid();
    throw err;
  }
}

/** The deterministic choices for a prepared request (the simulator's "model"). */
export function generateChoices({ request, model }: PreparedChat): CompletionOutput[] {
  return Array.from({ length: request.n }, (_, i) =>
    generateCompletion(
      {
        model: model.id,
        messages: request.messages,
        temperature: request.temperature,
        seed: request.seed,
        maxTokens: request.maxTokens,
        stop: request.stop,
        choiceIndex: i,
      },
      model.encoding,
    ),
  );
}

export interface ChatMeta {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
}

/** The non-streaming `chat.completion` body. */
export function chatCompletionBody(
  meta: ChatMeta,
  choices: CompletionOutput[],
  usage: ReturnType<typeof usageOf>,
) {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: choices.map((c, index) => choiceOf(c, index)),
    usage,
    service_tier: 'default',
    system_fingerprint: meta.fingerprint,
  };
}

async function handleChat(
  ctx: SimContext,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const rawModel = (req.body as { model?: unknown } | undefined)?.model;
  ctx.stats.received('chatCompletions', typeof rawModel === 'string' ? rawModel : undefined);
  const { request, model, promptTokens } = prepare(ctx, req.body);

  const fault = drawFault(ctx, 'chat', [request.model, model.id]);
  if (fault) return injectFault(ctx, fault, { req, reply, endpoint: 'chat', model: model.id });

  const choices = generateChoices({ request, model, promptTokens });
  const completionTokens = choices.reduce((sum, c) => sum + c.completionTokens, 0);
  admit(ctx, reply, model.id, promptTokens + completionTokens);
  ctx.stats.succeeded('chatCompletions', request.model, promptTokens, completionTokens);
  ctx.metrics.tokens.inc({ model: model.id, kind: 'prompt' }, promptTokens);
  ctx.metrics.tokens.inc({ model: model.id, kind: 'completion' }, completionTokens);

  const meta = {
    id: completionId(),
    created: Math.floor(ctx.now() / 1000),
    model: request.model,
    fingerprint: systemFingerprint(model.id, sha256Hex),
  };
  const usage = usageOf(promptTokens, completionTokens);
  if (request.stream) {
    return streamCompletion(ctx, reply, {
      ...meta,
      choices,
      usage,
      includeUsage: request.includeUsage,
      encoding: model.encoding,
    });
  }
  await ctx.sleep(latencyMs(ctx.latency, completionTokens, ctx.jitterRng));
  return chatCompletionBody(meta, choices, usage);
}

function choiceOf(c: CompletionOutput, index: number) {
  return {
    index,
    message: { role: 'assistant', content: c.content, refusal: null, annotations: [] },
    logprobs: null,
    finish_reason: c.finishReason,
  };
}
