import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FaultKind, SimEndpoint } from '../faults';
import { OpenAiError, overloaded, serverError } from '../openai-error';
import { formatResetDuration, type RateDecision } from '../rate-limiter';
import type { SimContext } from '../sim-context';

const ORGANIZATION = 'org-asahi-sim';
const RATE_LIMIT_DOCS = 'Visit https://platform.openai.com/account/rate-limits to learn more.';

/** `chatcmpl-` + 29 base62-ish chars, like OpenAI's ids. */
export function completionId(prefix = 'chatcmpl-'): string {
  return prefix + randomBytes(22).toString('base64url').replace(/[-_]/g, 'x').slice(0, 29);
}

export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {};
  if (d.limitRequests > 0) {
    headers['x-ratelimit-limit-requests'] = String(d.limitRequests);
    headers['x-ratelimit-remaining-requests'] = String(d.remainingRequests);
    headers['x-ratelimit-reset-requests'] = formatResetDuration(d.resetRequestsMs);
  }
  if (d.limitTokens > 0) {
    headers['x-ratelimit-limit-tokens'] = String(d.limitTokens);
    headers['x-ratelimit-remaining-tokens'] = String(d.remainingTokens);
    headers['x-ratelimit-reset-tokens'] = formatResetDuration(d.resetTokensMs);
  }
  return headers;
}

function retryHeaders(retryAfterMs: number): Record<string, string> {
  return {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    'retry-after-ms': String(Math.ceil(retryAfterMs)),
  };
}

/**
 * Admits the call against the per-model RPM/TPM window, or throws the 429 OpenAI sends
 * (type `requests`/`tokens`, code `rate_limit_exceeded`, retry-after and x-ratelimit headers).
 */
export function admit(ctx: SimContext, reply: FastifyReply, model: string, tokens: number): void {
  if (!ctx.limiter.enabled) return;
  const d = ctx.limiter.acquire(model, tokens);
  const headers = rateLimitHeaders(d);
  if (d.allowed) {
    reply.headers(headers);
    return;
  }
  ctx.stats.rateLimited();
  const wait = formatResetDuration(d.retryAfterMs);
  const message =
    d.reason === 'requests'
      ? `Rate limit reached for ${model} in organization ${ORGANIZATION} on requests per min (RPM): Limit ${d.limitRequests}, Used ${d.limitRequests - d.remainingRequests}, Requested 1. Please try again in ${wait}. ${RATE_LIMIT_DOCS}`
      : d.reason === 'tokens'
        ? `Rate limit reached for ${model} in organization ${ORGANIZATION} on tokens per min (TPM): Limit ${d.limitTokens}, Used ${d.limitTokens - d.remainingTokens}, Requested ${tokens}. Please try again in ${wait}. ${RATE_LIMIT_DOCS}`
        : `Request too large for ${model} in organization ${ORGANIZATION} on tokens per min (TPM): Limit ${d.limitTokens}, Requested ${tokens}. The input or output tokens must be reduced in order to run successfully. ${RATE_LIMIT_DOCS}`;
  const type = d.reason === 'requests' ? 'requests' : 'tokens';
  throw new OpenAiError(429, message, type, null, 'rate_limit_exceeded', {
    ...headers,
    ...retryHeaders(d.retryAfterMs),
  });
}

export interface FaultTarget {
  req: FastifyRequest;
  reply: FastifyReply;
  endpoint: SimEndpoint;
  model: string;
}

/** The fault for this call (consumed from the queue or drawn), counted in stats and metrics. */
export function drawFault(
  ctx: SimContext,
  endpoint: SimEndpoint,
  modelIds: string[],
): FaultKind | undefined {
  const fault = ctx.faults.draw(endpoint, modelIds);
  if (fault) {
    ctx.stats.fault(fault);
    ctx.metrics.faults.inc({ kind: fault });
  }
  return fault;
}

/** Answers the call the way the fault says; the promise settles when Fastify should stop. */
export async function injectFault(
  ctx: SimContext,
  fault: FaultKind,
  target: FaultTarget,
): Promise<unknown> {
  const { reply } = target;
  switch (fault) {
    case '500':
      await ctx.sleep(ctx.latency.baseMs);
      throw serverError();
    case '503':
      await ctx.sleep(ctx.latency.baseMs);
      throw overloaded();
    case '429': {
      const ms = ctx.config.SIM_FAULT_RETRY_AFTER_MS;
      throw new OpenAiError(
        429,
        `Rate limit reached for ${target.model} in organization ${ORGANIZATION} on requests per min (RPM): simulated fault. Please try again in ${formatResetDuration(ms)}. ${RATE_LIMIT_DOCS}`,
        'requests',
        null,
        'rate_limit_exceeded',
        {
          ...retryHeaders(ms),
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': formatResetDuration(ms),
        },
      );
    }
    case 'malformed':
      await ctx.sleep(ctx.latency.baseMs);
      return reply
        .status(200)
        .header('content-type', 'application/json')
        .send(malformedBody(target));
    case 'timeout':
      return holdThenDrop(ctx, target);
  }
}

function malformedBody(target: FaultTarget): string {
  const object = target.endpoint === 'chat' ? 'chat.completion' : 'list';
  return `{"id":"${completionId()}","object":"${object}","model":"${target.model}","choices":[{"index":0,"message":{"role":"assistant","content":"trunc`;
}

/** Holds the request without answering, then destroys the socket, like a hung upstream. */
function holdThenDrop(ctx: SimContext, target: FaultTarget): FastifyReply {
  const { req, reply } = target;
  reply.hijack();
  const socket = req.raw.socket;
  const held = {
    socket,
    timer: setTimeout(() => {
      ctx.held.delete(held);
      ctx.metrics.requests.inc({
        endpoint: req.routeOptions.url ?? 'unknown',
        model: target.model,
        status: 'timeout',
      });
      socket.destroy();
    }, ctx.config.SIM_TIMEOUT_HOLD_MS),
  };
  ctx.held.add(held);
  socket.once('close', () => {
    clearTimeout(held.timer);
    ctx.held.delete(held);
  });
  return reply;
}

export function releaseHeld(ctx: SimContext): void {
  for (const held of ctx.held) {
    clearTimeout(held.timer);
    held.socket.destroy();
  }
  ctx.held.clear();
}
