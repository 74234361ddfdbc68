import {
  deleteFeature,
  deletePromptTemplate,
  getFeature,
  getPromptTemplate,
  putFeature,
  putPromptTemplate,
  type Db,
} from '@asahi/db';
import type { Logger } from '@asahi/logger';
import type { Redis } from '@asahi/queue';
import { featureCacheKey, templateCacheKey } from '@asahi/stages';
import type { FeatureStore } from './routes/features.route';
import type { TemplateStore } from './routes/templates.route';

export interface EnrichmentStoreOptions {
  db: Db;
  redis: Redis;
  /** The namespace's queue prefix: the pipeline's feature-store cache uses the same keys. */
  prefix: string;
  logger: Logger;
  /** Longest an invalidation may hold a response (default 1 s). */
  invalidateTimeoutMs?: number;
}

/**
 * The feature and template routes' view of Postgres, plus the cache invalidation the pipeline
 * relies on: after every committed write or delete, the Redis key the pipeline fills is deleted,
 * so its next read goes to Postgres. A failed delete does not fail the request (the write is
 * committed and idempotent): the pipeline's cache TTL bounds how long the old value can live.
 */
export function createEnrichmentStores(options: EnrichmentStoreOptions): {
  features: FeatureStore;
  templates: TemplateStore;
} {
  const { db, redis, prefix, logger } = options;
  const timeoutMs = options.invalidateTimeoutMs ?? 1_000;

  const invalidate = async (key: string) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([redis.del(key), timeout]);
    } catch (err) {
      logger.warn({ err, key }, 'feature cache invalidation failed; the entry expires by TTL');
    } finally {
      clearTimeout(timer);
    }
  };
  const after = async <T>(write: Promise<T>, key: string): Promise<T> => {
    const result = await write;
    await invalidate(key);
    return result;
  };

  return {
    features: {
      put: (tenantId, entityType, entityId, values) =>
        after(
          putFeature(db.prisma, { tenantId, entityType, entityId, values }),
          featureCacheKey(prefix, tenantId, entityType, entityId),
        ),
      get: (tenantId, entityType, entityId) =>
        getFeature(db.prisma, tenantId, entityType, entityId),
      delete: (tenantId, entityType, entityId) =>
        after(
          deleteFeature(db.prisma, tenantId, entityType, entityId),
          featureCacheKey(prefix, tenantId, entityType, entityId),
        ),
    },
    templates: {
      put: (tenantId, id, body) =>
        after(
          putPromptTemplate(db.prisma, { tenantId, id, ...body }),
          templateCacheKey(prefix, tenantId, id),
        ),
      get: (tenantId, id) => getPromptTemplate(db.prisma, tenantId, id),
      delete: (tenantId, id) =>
        after(
          deletePromptTemplate(db.prisma, tenantId, id),
          templateCacheKey(prefix, tenantId, id),
        ),
    },
  };
}
