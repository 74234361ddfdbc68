import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { CompletionOutput } from '../completion';
import type { SimContext } from '../sim-context';
import { decodeTokens, encode, type Encoding } from '../tokens';
import type { OpenAiUsage } from '../usage';

export interface StreamPlan {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
  choices: CompletionOutput[];
  usage: OpenAiUsage;
  includeUsage: boolean;
  encoding: Encoding;
}

/**
 * Server-sent events like OpenAI's: a role chunk, one chunk per completion token (the per-token
 * latency is spent between them), a finish chunk per choice, the usage chunk when
 * `stream_options.include_usage`, then `data: [DONE]`.
 */
export function streamCompletion(
  ctx: SimContext,
  reply: FastifyReply,
  plan: StreamPlan,
): FastifyReply {
  reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache');
  return reply.send(Readable.from(events(ctx, plan)));
}

async function* events(ctx: SimContext, plan: StreamPlan): AsyncGenerator<string> {
  const base = {
    id: plan.id,
    object: 'chat.completion.chunk',
    created: plan.created,
    model: plan.model,
    service_tier: 'default',
    system_fingerprint: plan.fingerprint,
  };
  const usageField = plan.includeUsage ? { usage: null } : {};
  const chunk = (index: number, delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index, delta, logprobs: null, finish_reason: finish }], ...usageField })}\n\n`;

  await ctx.sleep(
    ctx.latency.baseMs + (ctx.latency.jitterMs > 0 ? ctx.jitterRng() * ctx.latency.jitterMs : 0),
  );
  for (const [index, choice] of plan.choices.entries()) {
    yield chunk(index, { role: 'assistant', content: '', refusal: null }, null);
    for (const token of encode(choice.content, plan.encoding)) {
      await ctx.sleep(ctx.latency.perTokenMs);
      yield chunk(index, { content: decodeTokens([token], plan.encoding) }, null);
    }
    yield chunk(index, {}, choice.finishReason);
  }
  if (plan.includeUsage)
    yield `data: ${JSON.stringify({ ...base, choices: [], usage: plan.usage })}\n\n`;
  yield 'data: [DONE]\n\n';
}
