import { parseJsonWith, z } from '@asahi/contracts';
import { getFeature, getPromptTemplate, type PrismaClient } from '@asahi/db';
import type { EnrichmentMetrics } from '@asahi/metrics';
import type { Redis } from '@asahi/queue';
import {
  featureCacheKey,
  templateCacheKey,
  type FeatureReader,
  type FeatureValues,
  type TemplateDefinition,
  type TemplateReader,
} from '@asahi/stages';

export interface FeatureStoreOptions {
  redis: Redis;
  prisma: PrismaClient;
  /** The namespace's queue prefix (`names.queuePrefix`), the same the ingest API uses. */
  prefix: string;
  /** How long a found value is served from Redis without asking Postgres. Default 60 s. */
  ttlSeconds?: number;
  /** How long "no such record" is remembered. Default 5 s. */
  negativeTtlSeconds?: number;
  metrics?: EnrichmentMetrics;
}

export type LookupKind = 'feature' | 'template';
export type LookupCounts = { hits: number; misses: number; errors: number };
export type FeatureStoreStats = Record<LookupKind, LookupCounts>;

export interface FeatureStore extends FeatureReader, TemplateReader {
  /** Lookups since creation (hits and misses of Redis; errors = Redis failed, Postgres asked). */
  stats(): FeatureStoreStats;
}

export const DEFAULT_FEATURE_TTL_SECONDS = 60;
export const DEFAULT_NEGATIVE_TTL_SECONDS = 5;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
/** `{ v: null }` is a cached "not found", so a miss storm on an unknown entity stays in Redis. */
const featureEntry = z.object({ v: z.record(z.string(), scalar).nullable() });
const templateEntry = z.object({
  v: z.object({ template: z.string(), features: z.array(z.string()) }).nullable(),
});

/**
 * Read-through Redis cache over the Postgres feature store, implementing the enrichment stage's
 * FeatureReader and TemplateReader. Keys come from `featureCacheKey`/`templateCacheKey` (tenant
 * inside), so one tenant can never read another's entry. The ingest API deletes the key after a
 * write; a value filled concurrently from a read that started before the write commits can
 * survive that delete, which is why entries always carry a TTL: staleness is bounded by it.
 * A Redis failure falls through to Postgres; a corrupt entry is a miss and gets overwritten.
 */
export function createFeatureStore(options: FeatureStoreOptions): FeatureStore {
  const { prisma, prefix, metrics } = options;
  const counts: FeatureStoreStats = {
    feature: { hits: 0, misses: 0, errors: 0 },
    template: { hits: 0, misses: 0, errors: 0 },
  };
  const readThrough = createReadThrough({
    redis: options.redis,
    ttlSeconds: options.ttlSeconds ?? DEFAULT_FEATURE_TTL_SECONDS,
    negativeTtlSeconds: options.negativeTtlSeconds ?? DEFAULT_NEGATIVE_TTL_SECONDS,
    count: (kind, outcome) => {
      counts[kind][outcome === 'hit' ? 'hits' : outcome === 'miss' ? 'misses' : 'errors']++;
      metrics?.cacheLookups.inc({ kind, outcome });
    },
  });

  return {
    stats: () => ({ feature: { ...counts.feature }, template: { ...counts.template } }),
    getFeatures: (tenantId, entityType, entityId): Promise<FeatureValues | null> =>
      readThrough(
        'feature',
        featureCacheKey(prefix, tenantId, entityType, entityId),
        featureEntry,
        async () => (await getFeature(prisma, tenantId, entityType, entityId))?.values ?? null,
      ),
    getTemplate: (tenantId, id): Promise<TemplateDefinition | null> =>
      readThrough('template', templateCacheKey(prefix, tenantId, id), templateEntry, async () => {
        const row = await getPromptTemplate(prisma, tenantId, id);
        return row ? { template: row.template, features: row.features } : null;
      }),
  };
}

interface ReadThroughOptions {
  redis: Redis;
  ttlSeconds: number;
  negativeTtlSeconds: number;
  count: (kind: LookupKind, outcome: 'hit' | 'miss' | 'error') => void;
}

/**
 * Redis first; on a miss (or a corrupt entry) read the source once per key at a time in this
 * process and fill Redis, best effort. When Redis itself fails, read the source directly.
 */
function createReadThrough({ redis, ttlSeconds, negativeTtlSeconds, count }: ReadThroughOptions) {
  const inFlight = new Map<string, Promise<unknown>>();

  const load = <T>(key: string, read: () => Promise<T | null>): Promise<T | null> => {
    const pending = inFlight.get(key) as Promise<T | null> | undefined;
    if (pending) return pending;
    const p = read()
      .then(async (value) => {
        const ttl = value === null ? negativeTtlSeconds : ttlSeconds;
        await redis.set(key, JSON.stringify({ v: value }), 'EX', ttl).catch(() => undefined);
        return value;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  };

  return async function readThrough<T>(
    kind: LookupKind,
    key: string,
    entry: z.ZodType<{ v: T | null }>,
    read: () => Promise<T | null>,
  ): Promise<T | null> {
    let raw: string | null;
    try {
      raw = await redis.get(key);
    } catch {
      count(kind, 'error');
      return read();
    }
    const parsed = raw === null ? null : parseJsonWith(entry, raw);
    if (parsed?.ok) {
      count(kind, 'hit');
      return parsed.value.v;
    }
    count(kind, 'miss');
    return load(key, read);
  };
}
