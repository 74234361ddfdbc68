import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestMessage, RoutingMode } from '@asahi/contracts';
import { AppError, toErrorBody } from '@asahi/errors';
import { requestHeaders, type BatchingSender } from '@asahi/kafka';
import { principalOf, requireRole } from '../auth';
import {
  buildBulkMessage,
  bulkIdFor,
  bulkRequestIdFor,
  chunkBySize,
  explicitModels,
  parseBulkUpload,
  parsePriority,
  rejectUnknownModels,
  type BulkContext,
  type BulkLine,
  type RejectedLine,
} from '../bulk-request';
import { parseCompletionWindow, type DeadlineDefaults } from '../deadline';
import type { IngestMetrics } from '../ingest-metrics';
import { parseIdempotencyKey, parseTraceparent } from '../job-request';
import type { JobRecord } from '../job-view';
import { unrunnableModels } from '../model-check';
import {
  assertSameRequest,
  orInvalid,
  UNAVAILABLE_RETRY_MS,
  type JobStore,
  type JobsRouteDeps,
} from './jobs.route';

export interface BulkRouteDeps {
  jobs: JobStore;
  sender: BatchingSender;
  metrics: IngestMetrics;
  limits: { bulkMaxBytes: number; bulkMaxLines: number };
  /** The deadline defaults of a tenant (its policy where set, else the platform's). */
  deadlines: (tenantId: string) => Promise<DeadlineDefaults>;
  models?: JobsRouteDeps['models'];
  routingMode?: JobsRouteDeps['routingMode'];
  now?: () => Date;
}

/** The 202 body (and, with the error fields, the 400 body when no line was accepted). */
export interface BulkView {
  id: string;
  object: 'asahi.bulk';
  accepted: number;
  rejected: RejectedLine[];
  deadline_at: string;
  jobs: { custom_id: string; id: string }[];
}

const JSONL_TYPES = ['application/jsonl', 'application/x-ndjson', 'text/plain'];
/** One Kafka produce request at most: far below the broker's 1 MB default per record batch. */
const PRODUCE_CHUNK = { maxBytes: 256 * 1024, maxCount: 200 };
const WITHDRAW_CONCURRENCY = 8;

/**
 * POST /v1/bulk: an OpenAI Batch input file (JSONL) becomes one `bulk` job per good line; bad
 * lines are listed with their line numbers. Registered in its own scope, the only one that
 * accepts JSONL bodies (up to `bulkMaxBytes`). Expects the API-key hook on the enclosing scope.
 */
export async function registerBulkRoutes(app: FastifyInstance, deps: BulkRouteDeps) {
  await app.register(async (scope) => {
    for (const type of ['application/json', 'text/plain'])
      if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
    scope.addContentTypeParser(
      JSONL_TYPES,
      { parseAs: 'string', bodyLimit: deps.limits.bulkMaxBytes },
      (_req, body, done) => done(null, body),
    );
    scope.post('/v1/bulk', { bodyLimit: deps.limits.bulkMaxBytes }, (req, reply) =>
      submitBulk(req, reply, deps),
    );
  });
}

async function submitBulk(req: FastifyRequest, reply: FastifyReply, deps: BulkRouteDeps) {
  const principal = principalOf(req);
  requireRole(principal, 'submitter');
  const tenantId = principal.tenantId;
  const query = (req.query ?? {}) as Record<string, unknown>;
  const idempotencyKey = orInvalid(
    parseIdempotencyKey(req.headers['idempotency-key']),
    'Invalid header',
  );
  const priority = orInvalid(parsePriority(query.priority), 'Invalid query');
  const defaults = await deps.deadlines(tenantId);
  const windowS = orInvalid(
    parseCompletionWindow(query.completion_window, defaults.bulkS),
    'Invalid query',
  );
  const text = typeof req.body === 'string' ? req.body : '';
  const parsed = orInvalid(
    parseBulkUpload(text, { maxLines: deps.limits.bulkMaxLines }),
    'Invalid upload',
  );
  const tenantMode = deps.models ? await deps.routingMode?.(tenantId) : undefined;
  const unknown = await unknownModels(parsed.lines, tenantMode, deps);
  const upload = rejectUnknownModels(parsed, unknown, tenantMode);
  for (const r of upload.rejected) deps.metrics.bulkRejectedLines.inc({ code: r.code });

  const now = (deps.now ?? (() => new Date()))();
  const bulkId = bulkIdFor(tenantId, idempotencyKey, now.getTime());
  req.log = req.log.child({
    bulkId,
    acceptedLines: upload.lines.length,
    rejectedLines: upload.rejected.length,
  });
  if (upload.lines.length === 0) {
    // Nothing to accept: the standard error shape, plus the per-line reasons the client needs.
    deps.metrics.rejected.inc({ code: 'invalid_request' });
    const message = `No line of the upload was accepted (${upload.rejected.length} rejected)`;
    return reply.code(400).send({
      ...toErrorBody('invalid_request', message, req.id),
      ...view(bulkId, [], upload.rejected, new Date(now.getTime() + windowS * 1000)),
    });
  }

  const stored = await storeLines(deps, upload.lines, {
    tenantId,
    bulkId,
    now,
    windowS,
    replayable: idempotencyKey !== undefined,
    priority,
    traceparent: parseTraceparent(req.headers.traceparent),
  });
  await produceAll(deps, stored.toProduce, stored.created, tenantId, req);
  deps.metrics.accepted.inc({ mode: 'bulk' }, stored.created.size);
  if (stored.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(202).send(view(bulkId, stored.jobs, upload.rejected, stored.deadlineAt));
}

/** Distinct models run as named that the registry cannot run (the check is cached). */
async function unknownModels(
  lines: BulkLine[],
  tenantMode: RoutingMode | undefined,
  deps: BulkRouteDeps,
): Promise<Set<string>> {
  if (!deps.models) return new Set();
  const named = explicitModels(lines, tenantMode).map((model) => ({ model }));
  return new Set((await unrunnableModels(named, deps.models)).map((n) => n.model));
}

interface StoreContext {
  tenantId: string;
  bulkId: string;
  now: Date;
  windowS: number;
  /** An Idempotency-Key was given, so jobs of an earlier upload may exist. */
  replayable: boolean;
  priority: BulkContext['priority'];
  traceparent: string | undefined;
}

/**
 * Creates the jobs in Postgres. A bulk has one acceptance time and one deadline, fixed by its
 * first upload: a retry with the same Idempotency-Key keeps them (and its lines' job ids), and
 * re-produces the jobs still queued, which the pipeline dedupes on the request id.
 */
async function storeLines(deps: BulkRouteDeps, lines: BulkLine[], ctx: StoreContext) {
  const ids = lines.map((l) => bulkRequestIdFor(ctx.tenantId, ctx.bulkId, l.customId));
  const existing = ctx.replayable ? await deps.jobs.findManyForTenant(ctx.tenantId, ids) : [];
  const first = existing[0];
  const acceptedAt = first?.createdAt ?? ctx.now;
  const deadlineAt = first?.deadlineAt ?? new Date(ctx.now.getTime() + ctx.windowS * 1000);
  const { tenantId, bulkId, priority, traceparent } = ctx;
  const messages = lines.map((l) =>
    buildBulkMessage(l, { tenantId, bulkId, acceptedAt, deadlineAt, priority, traceparent }),
  );
  const byId = new Map<string, JobRecord>(existing.map((j) => [j.id, j]));
  const toProduce: RequestMessage[] = [];
  const fresh: RequestMessage[] = [];
  for (const message of messages) {
    const job = byId.get(message.requestId);
    if (!job) fresh.push(message);
    else {
      assertSameRequest(job, message);
      if (job.status === 'queued') toProduce.push(storedTimes(message, job));
    }
  }
  const created = await deps.jobs.createQueuedMany(fresh);
  // A fresh id that was not created lost a race with a concurrent retry: producing it again is
  // harmless (deduped), and withdrawing it on failure is left to the upload that created it.
  toProduce.push(...fresh);
  const jobs = lines.map((l, i) => ({ custom_id: l.customId, id: ids[i]! }));
  return { jobs, toProduce, created, deadlineAt, replayed: existing.length > 0 };
}

function storedTimes(message: RequestMessage, job: JobRecord): RequestMessage {
  return {
    ...message,
    acceptedAt: job.createdAt.toISOString(),
    deadlineAt: job.deadlineAt.toISOString(),
  };
}

/**
 * Kafka before the answer, in bounded produce requests one after the other. If any fails, the
 * upload is not accepted: the jobs it created are withdrawn and the client gets a 503 (a retry
 * with the same Idempotency-Key maps to the same jobs).
 */
async function produceAll(
  deps: BulkRouteDeps,
  messages: RequestMessage[],
  created: Set<string>,
  tenantId: string,
  req: FastifyRequest,
) {
  const started = performance.now();
  const chunks = chunkBySize(messages, (m) => JSON.stringify(m).length, PRODUCE_CHUNK);
  for (const chunk of chunks) {
    const sent = await Promise.allSettled(
      chunk.map((m) =>
        deps.sender.send({ key: m.requestId, value: m, headers: requestHeaders(m) }),
      ),
    );
    const failure = sent.find((s) => s.status === 'rejected');
    if (!failure) continue;
    deps.metrics.produceDuration.observe(
      { outcome: 'error' },
      (performance.now() - started) / 1000,
    );
    req.log.error({ err: failure.reason }, 'kafka produce failed; withdrawing the bulk jobs');
    await withdrawAll(deps.jobs, tenantId, [...created], req);
    throw new AppError('unavailable', 'The upload could not be queued right now; retry later', {
      retryAfterMs: UNAVAILABLE_RETRY_MS,
      cause: failure.reason,
    });
  }
  deps.metrics.produceDuration.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
}

async function withdrawAll(jobs: JobStore, tenantId: string, ids: string[], req: FastifyRequest) {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      await jobs
        .withdraw(tenantId, id)
        .catch((err: unknown) => req.log.error({ err, requestId: id }, 'could not withdraw'));
    }
  };
  await Promise.all(Array.from({ length: WITHDRAW_CONCURRENCY }, worker));
}

function view(
  bulkId: string,
  jobs: BulkView['jobs'],
  rejected: RejectedLine[],
  deadlineAt: Date,
): BulkView {
  return {
    id: bulkId,
    object: 'asahi.bulk',
    accepted: jobs.length,
    rejected,
    deadline_at: deadlineAt.toISOString(),
    jobs,
  };
}
