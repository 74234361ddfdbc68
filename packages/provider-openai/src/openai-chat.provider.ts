import OpenAI from 'openai';
import type { ChatRequest } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import type { ChatProvider, ProviderAnswer } from '@asahi/stages';

export interface OpenAiProviderOptions {
  apiKey: string;
  /** OpenAI-compatible endpoint (the simulator, vLLM, Ollama, Azure-style gateways). */
  baseURL?: string;
  name?: string;
}

/**
 * The ChatProvider port over the official `openai` SDK. SDK retries are off: retries belong to
 * the queue, where they are durable, visible and honour retry-after across workers.
 */
export function createOpenAiChatProvider(options: OpenAiProviderOptions): ChatProvider {
  const client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0 });
  return {
    name: options.name ?? 'openai',
    async complete(body: ChatRequest, { timeoutMs }): Promise<ProviderAnswer> {
      try {
        const completion = await client.chat.completions.create(toCompletionParams(body), {
          timeout: timeoutMs,
        });
        return toAnswer(completion, body.model);
      } catch (err) {
        throw toProviderError(err);
      }
    },
  };
}

/** The SDK body for a ChatRequest; the Batch API sends the same body per line. */
export function toCompletionParams(
  body: ChatRequest,
): OpenAI.ChatCompletionCreateParamsNonStreaming {
  return { ...body, stream: false } as OpenAI.ChatCompletionCreateParamsNonStreaming;
}

/** A chat completion as the ProviderAnswer port shape; also used for Batch API output lines. */
export function toAnswer(
  completion: OpenAI.ChatCompletion,
  requestedModel: string,
): ProviderAnswer {
  const choice = completion.choices?.[0];
  if (!choice || typeof choice.message?.content !== 'string' || !completion.usage) {
    throw new AppError('provider_bad_response', 'Provider answer has no message content or usage');
  }
  return {
    output: {
      id: completion.id,
      model: completion.model || requestedModel,
      content: choice.message.content,
      finishReason: choice.finish_reason,
    },
    usage: {
      promptTokens: completion.usage.prompt_tokens,
      completionTokens: completion.usage.completion_tokens,
      totalTokens: completion.usage.total_tokens,
    },
  };
}

/** Maps SDK errors by class and status (never by message) to codes the queue acts on. */
export function toProviderError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError)
    return new AppError('provider_timeout', 'Provider call timed out', { cause: err });
  if (err instanceof OpenAI.RateLimitError) {
    return new AppError('provider_rate_limited', 'Provider rate limit reached', {
      cause: err,
      retryAfterMs: retryAfterMs(err.headers),
    });
  }
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    if (err.status >= 500 || err.status === 408 || err.status === 409) {
      return new AppError('provider_error', `Provider answered ${err.status}`, {
        cause: err,
        retryAfterMs: retryAfterMs(err.headers),
      });
    }
    const detail = err.message.slice(0, 300);
    if (err.status === 401 || err.status === 403)
      return new AppError('provider_error', `Provider rejected the credentials: ${detail}`, {
        cause: err,
        retryable: false,
      });
    return new AppError(
      'invalid_request',
      `Provider rejected the request (${err.status}): ${detail}`,
      { cause: err },
    );
  }
  if (err instanceof OpenAI.APIConnectionError)
    return new AppError('provider_error', 'Could not reach the provider', { cause: err });
  // Anything else (an unparseable body, a truncated stream) is a bad response worth retrying.
  return new AppError(
    'provider_bad_response',
    `Provider answer could not be read: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}

function retryAfterMs(headers: Headers | Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) =>
    (headers instanceof Headers ? headers.get(name) : (headers as Record<string, string>)[name]) ??
    null;
  const ms = Number(get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
