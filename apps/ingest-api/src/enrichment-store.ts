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
import {
  featureCacheKey,
  featureGenerationKey,
  templateCacheKey,
  templateGenerationKey,
} from '@asahi/stages';
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
 * How long an entry's generation is kept after its last write. It only has to outlive any
 * pipeline read still in flight (milliseconds); a day keeps idle entities from piling up keys.
 */
export const GENERATION_TTL_SECONDS = 86_400;

interface CacheKeys {
  entry: string;
  generation: string;
}

/**
 * The feature and template routes' view of Postgres, plus the cache invalidation the pipeline
 * relies on: after every committed write or delete, the entry's generation is bumped and the
 * Redis entry the pipeline fills is deleted (one MULTI), so its next read goes to Postgres and a
 * read that began before the write cannot fill the old value back (the pipeline fills only if the
 * generation is unchanged). A failed invalidation does not fail the request (the write is
 * committed and idempotent): the pipeline's cache TTL bounds how long the old value can live.
 */
export function createEnrichmentStores(options: EnrichmentStoreOptions): {
  features: FeatureStore;
  templates: TemplateStore;
} {
  const { db, redis, prefix, logger } = options;
  const timeoutMs = options.invalidateTimeoutMs ?? 1_000;

  const invalidate = async (keys: CacheKeys) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    const bump = redis
      .multi()
      .incr(keys.generation)
      .expire(keys.generation, GENERATION_TTL_SECONDS)
      .del(keys.entry)
      .exec()
      .then((replies) => {
        const failed = replies?.find(([err]) => err);
        if (!replies || failed) throw failed?.[0] ?? new Error('transaction aborted');
      });
    try {
      await Promise.race([bump, timeout]);
    } catch (err) {
      logger.warn(
        { err, key: keys.entry },
        'feature cache invalidation failed; the entry expires by TTL',
      );
    } finally {
      clearTimeout(timer);
    }
  };
  const after = async <T>(write: Promise<T>, keys: CacheKeys): Promise<T> => {
    const result = await write;
    await invalidate(keys);
    return result;
  };
  const featureKeys = (tenantId: string, entityType: string, entityId: string) => ({
    entry: featureCacheKey(prefix, tenantId, entityType, entityId),
    generation: featureGenerationKey(prefix, tenantId, entityType, entityId),
  });
  const templateKeys = (tenantId: string, id: string) => ({
    entry: templateCacheKey(prefix, tenantId, id),
    generation: templateGenerationKey(prefix, tenantId, id),
  });

  return {
    features: {
      put: (tenantId, entityType, entityId, values) =>
        after(
          putFeature(db.prisma, { tenantId, entityType, entityId, values }),
          featureKeys(tenantId, entityType, entityId),
        ),
      get: (tenantId, entityType, entityId) =>
        getFeature(db.prisma, tenantId, entityType, entityId),
      delete: (tenantId, entityType, entityId) =>
        after(
          deleteFeature(db.prisma, tenantId, entityType, entityId),
          featureKeys(tenantId, entityType, entityId),
        ),
    },
    templates: {
      put: (tenantId, id, body) =>
        after(putPromptTemplate(db.prisma, { tenantId, id, ...body }), templateKeys(tenantId, id)),
      get: (tenantId, id) => getPromptTemplate(db.prisma, tenantId, id),
      delete: (tenantId, id) =>
        after(deletePromptTemplate(db.prisma, tenantId, id), templateKeys(tenantId, id)),
    },
  };
}
