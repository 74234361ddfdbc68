import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resolveModel } from '../models';
import { invalidApiKey, missingApiKey, OpenAiError, serverError } from '../openai-error';
import type { SimContext } from '../sim-context';
import { BatchRunner } from '../batch-runner';
import { FileStore } from '../file-store';
import { registerBatches } from './batches.route';
import { registerFiles } from './files.route';
import { registerChatCompletions } from './chat-completions.route';
import { registerEmbeddings } from './embeddings.route';
import { registerModels } from './models.route';

const JSON_PARSE_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

/**
 * The OpenAI-compatible surface under /v1. Encapsulated (not fastify-plugin), so its error and
 * not-found handlers answer in OpenAI's error shape while /health, /metrics and /sim keep Asahi's.
 */
export async function openAiApiPlugin(
  app: FastifyInstance,
  opts: { ctx: SimContext },
): Promise<void> {
  const { ctx } = opts;
  app.addHook('onRequest', async (req) => authenticate(ctx, req));
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('openai-version', '2020-10-01');
    reply.header('openai-processing-ms', String(Math.round(reply.elapsedTime)));
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.requests.inc({
      endpoint: req.routeOptions.url ?? 'unmatched',
      model: modelLabel(req),
      status: String(reply.statusCode),
    });
  });
  app.setErrorHandler((err, req, reply) => sendError(req, reply, toOpenAiError(err, req)));
  app.setNotFoundHandler((req, reply) =>
    sendError(
      req,
      reply,
      new OpenAiError(404, `Invalid URL (${req.method} ${req.url})`, 'invalid_request_error'),
    ),
  );
  registerChatCompletions(app, ctx);
  registerEmbeddings(app, ctx);
  registerModels(app);
  const files = new FileStore(ctx.config.SIM_FILE_MAX_BYTES * 4);
  const batches = new BatchRunner(ctx, files);
  app.addHook('onClose', async () => batches.close());
  registerFiles(app, ctx, files);
  registerBatches(app, ctx, files, batches);
}

function authenticate(ctx: SimContext, req: FastifyRequest): void {
  const keys = ctx.config.SIM_API_KEYS;
  if (!ctx.config.SIM_REQUIRE_AUTH && keys.length === 0) return;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw missingApiKey();
  if (keys.length > 0 && !keys.includes(match[1])) throw invalidApiKey(match[1]);
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Fastify's own 4xx (bad JSON, wrong content type, body too large) become OpenAI-shaped 4xx. */
function toOpenAiError(err: unknown, req: FastifyRequest): OpenAiError {
  if (err instanceof OpenAiError) return err;
  const e = err as FastifyLikeError;
  if (
    e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    err instanceof SyntaxError
  ) {
    return new OpenAiError(400, JSON_PARSE_MESSAGE, 'invalid_request_error');
  }
  if (e.statusCode === 413)
    return new OpenAiError(413, 'Request body is too large.', 'invalid_request_error');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new OpenAiError(400, e.message ?? 'Invalid request.', 'invalid_request_error');
  }
  req.log.error({ err }, 'simulator request failed');
  return serverError();
}

function sendError(req: FastifyRequest, reply: FastifyReply, err: OpenAiError): FastifyReply {
  if (err.status >= 500 && err.type !== 'server_error') req.log.error({ err }, 'simulator error');
  return reply.status(err.status).headers(err.headers).send(err.body());
}

/** Catalog ids only, so a client sending random model names cannot blow up label cardinality. */
function modelLabel(req: FastifyRequest): string {
  const body = req.body as { model?: unknown } | undefined;
  const params = req.params as { id?: unknown } | undefined;
  const raw =
    typeof body?.model === 'string'
      ? body.model
      : typeof params?.id === 'string'
        ? params.id
        : undefined;
  return (raw && resolveModel(raw)?.id) ?? 'unknown';
}
