import { parseJsonWith, z } from '@asahi/contracts';
import { getFeature, getPromptTemplate, type PrismaClient } from '@asahi/db';
import type { EnrichmentMetrics } from '@asahi/metrics';
import type { Redis } from '@asahi/queue';
import {
  featureCacheKey,
  featureGenerationKey,
  templateCacheKey,
  templateGenerationKey,
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
 * inside), so one tenant can never read another's entry. Every entry has a generation
 * (`featureGenerationKey`/`templateGenerationKey`) that the ingest API bumps after each committed
 * write, before deleting the entry: a read fills the entry only if the generation is still the
 * one it saw before asking Postgres, so a read that began before a write can never put the old
 * value back. Entries still carry a TTL, the bound if an invalidation itself fails.
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
        {
          entry: featureCacheKey(prefix, tenantId, entityType, entityId),
          generation: featureGenerationKey(prefix, tenantId, entityType, entityId),
        },
        featureEntry,
        async () => (await getFeature(prisma, tenantId, entityType, entityId))?.values ?? null,
      ),
    getTemplate: (tenantId, id): Promise<TemplateDefinition | null> =>
      readThrough(
        'template',
        {
          entry: templateCacheKey(prefix, tenantId, id),
          generation: templateGenerationKey(prefix, tenantId, id),
        },
        templateEntry,
        async () => {
          const row = await getPromptTemplate(prisma, tenantId, id);
          return row ? { template: row.template, features: row.features } : null;
        },
      ),
  };
}

interface ReadThroughOptions {
  redis: Redis;
  ttlSeconds: number;
  negativeTtlSeconds: number;
  count: (kind: LookupKind, outcome: 'hit' | 'miss' | 'error') => void;
}

/** An entry's key and the key of its generation (same tenant hash tag, so one cluster slot). */
interface CacheKeys {
  entry: string;
  generation: string;
}

/**
 * Sets the entry (KEYS[1]) only while its generation (KEYS[2], absent = '0') is still ARGV[1],
 * the one read before Postgres was asked: compare and set in one step, so no write can slip in
 * between the check and the fill.
 */
const FILL_IF_CURRENT = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

/**
 * Redis first (entry and generation in one round trip); on a miss (or a corrupt entry) read the
 * source once per key and generation at a time in this process, and fill Redis if no write
 * happened meanwhile, best effort. A read that starts after a write sees the new generation, so
 * it never joins a lookup that began before the write. When Redis fails, read the source directly.
 */
function createReadThrough({ redis, ttlSeconds, negativeTtlSeconds, count }: ReadThroughOptions) {
  const inFlight = new Map<string, Promise<unknown>>();

  const load = <T>(keys: CacheKeys, generation: string, read: () => Promise<T | null>) => {
    const flightKey = `${keys.entry}\n${generation}`;
    const pending = inFlight.get(flightKey) as Promise<T | null> | undefined;
    if (pending) return pending;
    const p = read()
      .then(async (value) => {
        const ttl = value === null ? negativeTtlSeconds : ttlSeconds;
        const entry = JSON.stringify({ v: value });
        await redis
          .eval(FILL_IF_CURRENT, 2, keys.entry, keys.generation, generation, entry, ttl)
          .catch(() => undefined);
        return value;
      })
      .finally(() => inFlight.delete(flightKey));
    inFlight.set(flightKey, p);
    return p;
  };

  return async function readThrough<T>(
    kind: LookupKind,
    keys: CacheKeys,
    entry: z.ZodType<{ v: T | null }>,
    read: () => Promise<T | null>,
  ): Promise<T | null> {
    let raw: string | null;
    let generation: string | null;
    try {
      [raw = null, generation = null] = await redis.mget(keys.entry, keys.generation);
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
    return load(keys, generation ?? '0', read);
  };
}
