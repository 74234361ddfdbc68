import type { FastifyInstance } from 'fastify';
import type { PromptTemplateRow } from '@asahi/db';
import { AppError } from '@asahi/errors';
import { principalOf, requireRole } from '../auth';
import {
  parseTemplateBody,
  parseTemplateId,
  TEMPLATE_BODY_LIMIT_BYTES,
  type TemplateBody,
} from '../enrichment-request';
import { ENRICHMENT_WRITE_ROLE, orInvalid } from './features.route';

/** What the routes need from the template store (adapted in enrichment-store.ts). */
export interface TemplateStore {
  /** Replaces the template, then invalidates the pipeline's cached copy. */
  put(tenantId: string, id: string, body: TemplateBody): Promise<PromptTemplateRow>;
  get(tenantId: string, id: string): Promise<PromptTemplateRow | null>;
  /** False when there was nothing to delete. */
  delete(tenantId: string, id: string): Promise<boolean>;
}

type Params = { id: string };
const PATH = '/v1/templates/:id';

export function toTemplateView(row: PromptTemplateRow) {
  return {
    object: 'prompt_template',
    id: row.id,
    template: row.template,
    features: row.features,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** PUT/GET/DELETE /v1/templates/:id, scoped to the caller's tenant. */
export function registerTemplateRoutes(app: FastifyInstance, store: TemplateStore): void {
  app.put<{ Params: Params }>(
    PATH,
    { bodyLimit: TEMPLATE_BODY_LIMIT_BYTES },
    async (req, reply) => {
      const principal = principalOf(req);
      requireRole(principal, ENRICHMENT_WRITE_ROLE);
      const id = orInvalid(parseTemplateId(req.params.id), 'Invalid path');
      const body = orInvalid(parseTemplateBody(req.body), 'Invalid request body');
      const row = await store.put(principal.tenantId, id, body);
      return reply.code(200).send(toTemplateView(row));
    },
  );

  app.get<{ Params: Params }>(PATH, async (req, reply) => {
    const principal = principalOf(req);
    requireRole(principal, 'reader');
    const id = orInvalid(parseTemplateId(req.params.id), 'Invalid path');
    const row = await store.get(principal.tenantId, id);
    if (!row) throw new AppError('not_found', `No template ${id}`);
    return reply.code(200).send(toTemplateView(row));
  });

  app.delete<{ Params: Params }>(PATH, async (req, reply) => {
    const principal = principalOf(req);
    requireRole(principal, ENRICHMENT_WRITE_ROLE);
    const id = orInvalid(parseTemplateId(req.params.id), 'Invalid path');
    if (!(await store.delete(principal.tenantId, id)))
      throw new AppError('not_found', `No template ${id}`);
    return reply.code(204).send();
  });
}
