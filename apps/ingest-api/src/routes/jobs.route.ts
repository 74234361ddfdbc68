import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestMessage, RoutingMode } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import { requestHeaders, type BatchingSender } from '@asahi/kafka';
import { principalOf, requireRole } from '../auth';
import type { IngestMetrics } from '../ingest-metrics';
import { resolveDeadline, type DeadlineDefaults } from '../deadline';
import {
  buildRequestMessage,
  canonicalJson,
  parseIdempotencyKey,
  parseJobBody,
  parseTraceparent,
  parseWait,
  requestIdFor,
  type Outcome,
} from '../job-request';
import { isTerminal, toJobView, type JobRecord, type JobView } from '../job-view';
import { modelsRunAsNamed, unrunnableModels, type ModelCheck } from '../model-check';
import type { ResultWaiter } from '../result-waiter';

/** What the routes need from Postgres (adapted from @asahi/db in job-store.ts). */
export interface JobStore {
  /** Inserts the job as `queued`; when the id exists, returns that row unchanged (created: false). */
  createQueued(message: RequestMessage): Promise<{ created: boolean; job: JobRecord }>;
  /** The job with its result, only if it belongs to the tenant. */
  getForTenant(tenantId: string, id: string): Promise<JobRecord | null>;
  /** Removes a job that never reached Kafka (the client got a 503 and may retry). */
  withdraw(tenantId: string, id: string): Promise<void>;
  /** Inserts queued jobs in batches, leaving existing ids unchanged; returns the ids it created. */
  createQueuedMany(messages: RequestMessage[]): Promise<Set<string>>;
  /** The tenant's jobs among `ids` (missing ids and other tenants' jobs are left out). */
  findManyForTenant(tenantId: string, ids: string[]): Promise<JobRecord[]>;
}

export interface JobsRouteDeps {
  jobs: JobStore;
  sender: BatchingSender;
  waiter: ResultWaiter;
  metrics: IngestMetrics;
  limits: { maxWaitS: number };
  /** The deadline defaults of a tenant: its policy where set, else the platform's (cached). */
  deadlines: (tenantId: string) => Promise<DeadlineDefaults>;
  /** Whether a model can be run when named explicitly (the model registry, cached). */
  models?: ModelCheck;
  /** The routing mode of the tenant's policy (cached); absent or undefined → EXPLICIT. */
  routingMode?: (tenantId: string) => Promise<RoutingMode | undefined>;
  now?: () => Date;
}

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const UNAVAILABLE_RETRY_MS = 1_000;

export function orInvalid<T>(outcome: Outcome<T>, what: string): T {
  if (outcome.ok) return outcome.value;
  throw new AppError('invalid_request', `${what}: ${outcome.reason}`, {
    details: { issues: outcome.issues },
  });
}

/** POST /v1/jobs and GET /v1/jobs/:id. Expects the API-key hook on the enclosing scope. */
export function registerJobRoutes(app: FastifyInstance, deps: JobsRouteDeps): void {
  const now = deps.now ?? (() => new Date());

  app.post('/v1/jobs', async (req, reply) => {
    const principal = principalOf(req);
    requireRole(principal, 'submitter');
    const waitS = orInvalid(
      parseWait(req.headers.prefer, queryWait(req), deps.limits.maxWaitS),
      'Invalid wait',
    );
    const idempotencyKey = orInvalid(
      parseIdempotencyKey(req.headers['idempotency-key']),
      'Invalid header',
    );
    const body = orInvalid(parseJobBody(req.body), 'Invalid request body');
    await assertRunnableModels(body, principal.tenantId, deps);
    const acceptedAt = now();
    const mode = waitS === null ? 'async' : 'sync';
    const deadlineAt = orInvalid(
      resolveDeadline(body, mode, acceptedAt, await deps.deadlines(principal.tenantId)),
      'Invalid request body',
    );
    const requestId = requestIdFor(principal.tenantId, idempotencyKey, acceptedAt.getTime());
    req.log = req.log.child({ requestId });
    const message = buildRequestMessage({
      requestId,
      tenantId: principal.tenantId,
      mode,
      acceptedAt,
      deadlineAt,
      body,
      traceparent: parseTraceparent(req.headers.traceparent),
    });

    const { created, job } = await deps.jobs.createQueued(message);
    if (!created) {
      // A retry with the same Idempotency-Key answers with the job it created. A job still queued
      // may never have reached Kafka (the first attempt died before the ack), so it is produced
      // again: the pipeline dedupes on the request id, so a second copy changes nothing.
      assertSameRequest(job, message);
      if (job.status === 'queued')
        await produce(
          deps,
          {
            ...message,
            acceptedAt: job.createdAt.toISOString(),
            deadlineAt: job.deadlineAt.toISOString(),
          },
          req,
        );
      reply.header('location', `/v1/jobs/${requestId}`).header('idempotent-replayed', 'true');
      return respond(req, reply, job, waitS, deps);
    }
    await produce(deps, message, req);
    deps.metrics.accepted.inc({ mode });
    reply.header('location', `/v1/jobs/${requestId}`);
    return respond(req, reply, job, waitS, deps);
  });

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', async (req, reply) => {
    const principal = principalOf(req);
    requireRole(principal, 'reader');
    const waitS = orInvalid(
      parseWait(req.headers.prefer, queryWait(req), deps.limits.maxWaitS),
      'Invalid wait',
    );
    const id = req.params.id;
    req.log = req.log.child({ requestId: id });
    // Another tenant's job and a job that does not exist are indistinguishable on purpose.
    const job = ID.test(id) ? await deps.jobs.getForTenant(principal.tenantId, id) : null;
    if (!job) throw new AppError('not_found', `No job ${id}`);
    if (waitS === null) return reply.code(200).send(toJobView(job));
    return respond(req, reply, job, waitS, deps);
  });
}

/**
 * A model run as named (EXPLICIT routing's `model`, any step's `model`) must be runnable: an
 * unknown or disabled one is the client's error now, not a failed job later.
 */
async function assertRunnableModels(
  body: Parameters<typeof modelsRunAsNamed>[0],
  tenantId: string,
  deps: Pick<JobsRouteDeps, 'models' | 'routingMode'>,
) {
  if (!deps.models) return;
  const tenantMode = await deps.routingMode?.(tenantId);
  const refused = await unrunnableModels(modelsRunAsNamed(body, tenantMode), deps.models);
  if (refused.length === 0) return;
  const names = [...new Set(refused.map((r) => r.model))].join(', ');
  throw new AppError('unknown_model', `Unknown or disabled model: ${names}`, {
    details: {
      issues: refused.map((r) => ({ path: r.path, message: 'not in the model registry' })),
    },
  });
}

function queryWait(req: FastifyRequest): unknown {
  return (req.query as Record<string, unknown> | undefined)?.wait;
}

/** Kafka first, answer after: a 202 means the request is durably in the log (acks=all). */
async function produce(deps: JobsRouteDeps, message: RequestMessage, req: FastifyRequest) {
  const started = performance.now();
  try {
    await deps.sender.send({
      key: message.requestId,
      value: message,
      headers: requestHeaders(message),
    });
    deps.metrics.produceDuration.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
  } catch (err) {
    deps.metrics.produceDuration.observe(
      { outcome: 'error' },
      (performance.now() - started) / 1000,
    );
    req.log.error({ err }, 'kafka produce failed; withdrawing the unaccepted job');
    await deps.jobs
      .withdraw(message.tenantId, message.requestId)
      .catch((markErr: unknown) => req.log.error({ err: markErr }, 'could not withdraw the job'));
    throw new AppError('unavailable', 'The request could not be queued right now; retry later', {
      retryAfterMs: UNAVAILABLE_RETRY_MS,
      cause: err,
    });
  }
}

/** An Idempotency-Key names one request: reusing it for a different body is a client bug. */
export function assertSameRequest(job: JobRecord, message: RequestMessage) {
  const stored = (job.request as { body?: unknown } | undefined)?.body;
  if (stored !== undefined && canonicalJson(stored) !== canonicalJson(message.body)) {
    throw new AppError(
      'conflict',
      'This Idempotency-Key was already used with a different request body',
    );
  }
}

/**
 * Without a wait: 200 for a terminal job, 202 for a queued/running one. With a wait: hold the
 * request until the job is terminal (200) or the wait runs out (202 with the current handle).
 */
async function respond(
  req: FastifyRequest,
  reply: FastifyReply,
  job: JobRecord,
  waitS: number | null,
  deps: JobsRouteDeps,
) {
  if (waitS === null || isTerminal(job.status)) return send(reply, toJobView(job));
  reply.header('preference-applied', `wait=${waitS}`);
  const tenantId = job.tenantId;
  const aborted = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) aborted.abort();
  });
  const started = performance.now();
  const { value, outcome } = await deps.waiter.wait(job.id, {
    timeoutMs: waitS * 1000,
    read: () => deps.jobs.getForTenant(tenantId, job.id),
    isDone: (j) => isTerminal(j.status),
    signal: aborted.signal,
  });
  const label = outcome === 'not_found' ? 'timeout' : outcome;
  deps.metrics.syncWait.inc({ outcome: label });
  deps.metrics.syncWaitDuration.observe({ outcome: label }, (performance.now() - started) / 1000);
  req.log.debug({ outcome, waitS }, 'sync wait ended');
  return send(reply, toJobView(value ?? job));
}

function send(reply: FastifyReply, view: JobView) {
  return reply.code(isTerminal(view.status) ? 200 : 202).send(view);
}
