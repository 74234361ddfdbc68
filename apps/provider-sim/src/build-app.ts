import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createServer } from '@asahi/http';
import { createLogger, type Logger } from '@asahi/logger';
import { createRegistry, type Registry } from '@asahi/metrics';
import { MODEL_CATALOG } from '@asahi/contracts';
import type { SimConfig } from './config';
import { adminRoutes } from './routes/admin.route';
import { openAiApiPlugin } from './routes/openai-api.plugin';
import { releaseHeld } from './routes/provider-call';
import { createSimContext } from './sim-context';
import { createSimMetrics } from './sim-metrics';
import { getEncoder } from './tokens';

export interface SimulatorDeps {
  logger?: Logger;
  registry?: Registry;
  /** Wall clock in ms (rate-limit windows, `created`, stats). */
  now?: () => number;
  /** How latency is spent; tests may pass an instant one. */
  sleep?: (ms: number) => Promise<void>;
}

/** Caller-given ids (sane tokens) are kept for log joins; otherwise OpenAI-looking `req_…`. */
function genReqId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given)
    ? given
    : `req_${randomBytes(16).toString('hex')}`;
}

/**
 * The simulator as a Fastify instance, not yet listening: `main.ts` listens on it, tests and the
 * in-process benchmark call `listen({ port: 0 })` or `inject` themselves.
 */
export function buildSimulator(config: SimConfig, deps: SimulatorDeps = {}): FastifyInstance {
  const logger = deps.logger ?? createLogger({ service: 'provider-sim', level: config.LOG_LEVEL });
  const registry = deps.registry ?? createRegistry('provider-sim');
  const ctx = createSimContext(config, {
    metrics: createSimMetrics(registry),
    now: deps.now,
    sleep: deps.sleep,
  });
  const app = createServer({
    logger,
    registry,
    bodyLimitBytes: config.SIM_BODY_LIMIT_BYTES,
    fastify: { genReqId },
  });

  // Building an encoder takes a few hundred ms; do it before serving, not on the first request.
  app.addHook('onReady', async () => {
    for (const encoding of new Set(MODEL_CATALOG.map((m) => m.encoding))) getEncoder(encoding);
  });
  // Requests held by a `timeout` fault would otherwise keep close() waiting for the hold time.
  app.addHook('preClose', async () => releaseHeld(ctx));

  app.register(openAiApiPlugin, { prefix: '/v1', ctx });
  app.register(adminRoutes, { prefix: '/sim', ctx });
  return app;
}
