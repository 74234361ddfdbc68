import type { FastifyInstance } from 'fastify';
import type { FeatureRow } from '@asahi/db';
import { AppError } from '@asahi/errors';
import { principalOf, requireRole } from '../auth';
import {
  FEATURE_BODY_LIMIT_BYTES,
  parseFeatureBody,
  parseFeaturePath,
  type FeatureBody,
} from '../enrichment-request';
import type { Outcome } from '../job-request';

/** What the routes need from the feature store (adapted in enrichment-store.ts). */
export interface FeatureStore {
  /** Replaces the entity's values, then invalidates the pipeline's cached copy. */
  put(
    tenantId: string,
    entityType: string,
    entityId: string,
    values: FeatureBody['values'],
  ): Promise<FeatureRow>;
  get(tenantId: string, entityType: string, entityId: string): Promise<FeatureRow | null>;
  /** False when there was nothing to delete. */
  delete(tenantId: string, entityType: string, entityId: string): Promise<boolean>;
}

/** Writes need this role (or `admin`); reads need `reader`. */
export const ENRICHMENT_WRITE_ROLE = 'enrichment';

type Params = { entityType: string; id: string };
const PATH = '/v1/features/:entityType/:id';

export function orInvalid<T>(outcome: Outcome<T>, what: string): T {
  if (outcome.ok) return outcome.value;
  throw new AppError('invalid_request', `${what}: ${outcome.reason}`, {
    details: { issues: outcome.issues },
  });
}

export function toFeatureView(row: FeatureRow) {
  return {
    object: 'feature',
    entityType: row.entityType,
    entityId: row.entityId,
    values: row.values,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * JSON as JSON.parse reads it. Fastify's default parser refuses a `__proto__` key as "not valid
 * JSON"; here it stays an own key (JSON.parse never touches the prototype), so parseFeatureBody
 * can refuse it by name. Nothing merges the parsed object into another before that check.
 */
function parsePlainJson(
  _req: unknown,
  body: string | Buffer,
  done: (e: Error | null, v?: unknown) => void,
) {
  try {
    done(null, JSON.parse(body.toString()));
  } catch (err) {
    done(new AppError('invalid_request', `Malformed JSON body: ${(err as Error).message}`));
  }
}

/** PUT/GET/DELETE /v1/features/:entityType/:id, scoped to the caller's tenant. */
export async function registerFeatureRoutes(
  parent: FastifyInstance,
  store: FeatureStore,
): Promise<void> {
  await parent.register(async (app) => registerInScope(app, store));
}

function registerInScope(app: FastifyInstance, store: FeatureStore) {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parsePlainJson);
  app.put<{ Params: Params }>(PATH, { bodyLimit: FEATURE_BODY_LIMIT_BYTES }, async (req, reply) => {
    const principal = principalOf(req);
    requireRole(principal, ENRICHMENT_WRITE_ROLE);
    const { entityType, entityId } = orInvalid(parseFeaturePath(req.params), 'Invalid path');
    const { values } = orInvalid(parseFeatureBody(req.body), 'Invalid request body');
    const row = await store.put(principal.tenantId, entityType, entityId, values);
    return reply.code(200).send(toFeatureView(row));
  });

  app.get<{ Params: Params }>(PATH, async (req, reply) => {
    const principal = principalOf(req);
    requireRole(principal, 'reader');
    const { entityType, entityId } = orInvalid(parseFeaturePath(req.params), 'Invalid path');
    // Another tenant's entity and a missing one are indistinguishable on purpose.
    const row = await store.get(principal.tenantId, entityType, entityId);
    if (!row) throw new AppError('not_found', `No features for ${entityType} ${entityId}`);
    return reply.code(200).send(toFeatureView(row));
  });

  app.delete<{ Params: Params }>(PATH, async (req, reply) => {
    const principal = principalOf(req);
    requireRole(principal, ENRICHMENT_WRITE_ROLE);
    const { entityType, entityId } = orInvalid(parseFeaturePath(req.params), 'Invalid path');
    if (!(await store.delete(principal.tenantId, entityType, entityId)))
      throw new AppError('not_found', `No features for ${entityType} ${entityId}`);
    return reply.code(204).send();
  });
}
