import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { AppError, HTTP_STATUS_BY_CODE, toErrorBody } from '@asahi/errors';
import type { Logger } from '@asahi/logger';

export interface CreateServerOptions {
  logger: Logger;
  registry: Registry;
  /** Readiness probe: resolve when dependencies answer; throw (or return false) when not. */
  ready?: () => Promise<boolean>;
  bodyLimitBytes?: number;
  /** Extra Fastify options (tests use them rarely). */
  fastify?: Partial<FastifyServerOptions>;
}

const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Every Asahi HTTP surface: a request id on every response (taken from the caller when it is a
 * sane token), one error body shape for every error, and the three ops endpoints.
 */
export function createServer(options: CreateServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    // Each app logs one line per request itself, with tenant and request ids.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    genReqId: (req) => {
      const given = req.headers[REQUEST_ID_HEADER];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given)
        ? given
        : randomUUID();
    },
    ...options.fastify,
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = mapError(err, req.id);
    if (status >= 500) req.log.error({ err }, 'request failed');
    if (err instanceof AppError && err.retryAfterMs !== undefined) {
      reply.header('retry-after', Math.ceil(err.retryAfterMs / 1000));
    }
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send(toErrorBody('not_found', `No route for ${req.method} ${req.url}`, req.id)),
  );

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_req, reply) => {
    // A dependency that hangs (a reconnecting client) must read as not ready, not as a hung probe.
    const probe = options.ready?.() ?? Promise.resolve(true);
    const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false).unref());
    const ok = await Promise.race([probe, timeout]).catch(() => false);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready' });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', options.registry.contentType);
    return options.registry.metrics();
  });
  return app;
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: unknown;
}

/** Maps AppErrors by code, Fastify's own 4xx errors (bad JSON, body too large) by status. */
export function mapError(err: unknown, requestId: string) {
  if (err instanceof AppError) {
    return {
      status: HTTP_STATUS_BY_CODE[err.code],
      body: toErrorBody(err.code, err.message, requestId, err.details),
    };
  }
  const e = err as FastifyLikeError;
  if (e.statusCode === 413) {
    return {
      status: 413,
      body: toErrorBody('payload_too_large', 'Request body is too large', requestId),
    };
  }
  if (e.statusCode === 415) {
    return { status: 415, body: toErrorBody('invalid_request', e.message, requestId) };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const message =
      e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/.test(e.code ?? '')
        ? `Malformed JSON body: ${e.message}`
        : e.message;
    return { status: 400, body: toErrorBody('invalid_request', message, requestId) };
  }
  return { status: 500, body: toErrorBody('internal', 'Internal error', requestId) };
}
