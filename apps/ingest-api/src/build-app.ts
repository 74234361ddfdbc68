import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createServer, mapError } from '@asahi/http';
import type { BatchingSender } from '@asahi/kafka';
import type { Logger } from '@asahi/logger';
import type { Registry } from '@asahi/metrics';
import type { Queue } from '@asahi/queue';
import { apiKeyHook, createKeyCache, type KeyCache, type KeyLookup } from './auth';
import { registerBullBoard } from './bull-board';
import { deadlineDefaultsFor, type DeadlineDefaults } from './deadline';
import { createIngestMetrics, type IngestMetrics } from './ingest-metrics';
import type { ResultWaiter } from './result-waiter';
import { registerBulkRoutes } from './routes/bulk.route';
import { registerFeatureRoutes, type FeatureStore } from './routes/features.route';
import { registerTemplateRoutes, type TemplateStore } from './routes/templates.route';
import { registerJobRoutes, type JobStore, type JobsRouteDeps } from './routes/jobs.route';
import {
  createTenantPolicyLoader,
  type TenantPolicyLoader,
  type TenantSettingsSource,
} from './tenant-policy';

export interface IngestLimits {
  maxWaitS: number;
  defaultSyncDeadlineS: number;
  defaultAsyncDeadlineS: number;
  /** Completion window of a bulk upload when neither the request nor the tenant names one. */
  defaultBulkDeadlineS: number;
  bodyLimitBytes: number;
  /** Largest POST /v1/bulk body, and most lines in it. */
  bulkMaxBytes: number;
  bulkMaxLines: number;
}

export interface IngestDeps {
  logger: Logger;
  registry: Registry;
  limits: IngestLimits;
  jobs: JobStore;
  /** Resolves an API key (Postgres); cached in-process by the app. */
  lookupKey: KeyLookup;
  sender: BatchingSender;
  waiter: ResultWaiter;
  /** Shown in Bull Board. */
  queues: Queue[];
  /** Readiness of Postgres, Redis and the Kafka producer. */
  ready: () => Promise<boolean>;
  /** The model registry check for EXPLICIT routing (unknown model → 400); absent → not checked. */
  models?: JobsRouteDeps['models'];
  /** How long a resolved key is trusted (default 30 s): the upper bound on revocation delay. */
  keyCacheTtlMs?: number;
  /**
   * `tenants.settings` (Postgres), for per-tenant deadline defaults and routing mode (which
   * decides whether `model` is checked); absent → platform defaults.
   */
  tenantSettings?: TenantSettingsSource;
  /** How long a tenant's policy is cached (default 30 s): how late a policy change takes effect. */
  tenantPolicyTtlMs?: number;
  now?: () => Date;
  /** Feature store and prompt templates (/v1/features, /v1/templates); absent → no such routes. */
  enrichment?: { features: FeatureStore; templates: TemplateStore };
}

export interface IngestApp {
  app: FastifyInstance;
  metrics: IngestMetrics;
  keys: KeyCache;
}

const OPS_PATHS = new Set(['/health', '/ready', '/metrics']);

/** The whole HTTP surface on injected dependencies: main.ts and tests build it the same way. */
export async function buildIngestApp(deps: IngestDeps): Promise<IngestApp> {
  const app = createServer({
    logger: deps.logger,
    registry: deps.registry,
    ready: deps.ready,
    bodyLimitBytes: deps.limits.bodyLimitBytes,
  });
  const metrics = createIngestMetrics(deps.registry, { channels: () => deps.waiter.channels });
  const keys = createKeyCache(deps.lookupKey, { ttlMs: deps.keyCacheTtlMs ?? 30_000 });
  const policyOf = tenantPolicyOf(deps);
  const deadlines = deadlinesOf(deps, policyOf);
  const routingMode = async (tenantId: string) => (await policyOf?.(tenantId))?.routing.mode;
  app.decorateRequest('principal', null);
  app.addHook('onResponse', async (req, reply) =>
    logRequest(req, reply.statusCode, reply.elapsedTime),
  );

  await app.register(async (api) => {
    // Only JSON bodies: without the text/plain parser any other media type is a 415.
    api.removeContentTypeParser('text/plain');
    api.addHook('onRequest', apiKeyHook(keys));
    api.addHook('onError', async (req, _reply, err) => {
      metrics.rejected.inc({ code: mapError(err, req.id).body.error.code });
    });
    const models = deps.models ? { models: deps.models, routingMode } : {};
    registerJobRoutes(api, {
      jobs: deps.jobs,
      sender: deps.sender,
      waiter: deps.waiter,
      metrics,
      limits: deps.limits,
      deadlines,
      now: deps.now,
      ...models,
    });
    await registerBulkRoutes(api, {
      jobs: deps.jobs,
      sender: deps.sender,
      metrics,
      limits: deps.limits,
      deadlines,
      now: deps.now,
      ...models,
    });
    if (deps.enrichment) {
      await registerFeatureRoutes(api, deps.enrichment.features);
      registerTemplateRoutes(api, deps.enrichment.templates);
    }
  });
  await registerBullBoard(app, deps.queues, keys);
  return { app, metrics, keys };
}

/** The tenant policy loader (cached), or none when tenant settings are not wired. */
function tenantPolicyOf(deps: IngestDeps): TenantPolicyLoader | undefined {
  if (!deps.tenantSettings) return undefined;
  return createTenantPolicyLoader(deps.tenantSettings, {
    ttlMs: deps.tenantPolicyTtlMs ?? 30_000,
    onInvalid: (tenantId, issues) =>
      deps.logger.warn({ tenantId, issues }, 'ignoring invalid tenant policy'),
    onError: (tenantId, err) =>
      deps.logger.warn({ tenantId, err }, 'tenant policy unavailable, using last known'),
  });
}

/** A tenant's deadline defaults: its cached policy where it sets them, else the platform's. */
function deadlinesOf(
  deps: IngestDeps,
  policyOf: TenantPolicyLoader | undefined,
): (tenantId: string) => Promise<DeadlineDefaults> {
  const platform = {
    syncS: deps.limits.defaultSyncDeadlineS,
    asyncS: deps.limits.defaultAsyncDeadlineS,
    bulkS: deps.limits.defaultBulkDeadlineS,
  };
  if (!policyOf) return async () => platform;
  return async (tenantId) => deadlineDefaultsFor(await policyOf(tenantId), platform);
}

/** One line per request, with the request and tenant ids the hooks bound to `req.log`. */
function logRequest(req: FastifyRequest, statusCode: number, elapsedMs: number) {
  const line = {
    method: req.method,
    url: req.routeOptions.url ?? req.url,
    statusCode,
    durationMs: Math.round(elapsedMs * 10) / 10,
  };
  if (OPS_PATHS.has(req.url)) req.log.debug(line, 'request');
  else req.log.info(line, 'request');
}
