import { envSchemas, parseEnv, z } from '@asahi/config';

const schema = z.object({
  PORT: envSchemas.port(8082),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: envSchemas.logLevel,
  KAFKA_BROKERS: envSchemas.kafkaBrokers,
  REDIS_URL: envSchemas.redisUrl,
  /** Isolates topics, consumer groups and queues (tests, side-by-side stacks). Empty in production. */
  ASAHI_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9-]*$/)
    .default(''),
  OPENAI_API_KEY: z.string().default('sk-asahi-simulator'),
  OPENAI_BASE_URL: z.string().url().default('http://127.0.0.1:8090/v1'),
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** Which pools this process runs (comma list of prepare, dispatch, steps, intake). */
  PIPELINE_POOLS: z.string().default('intake,prepare,dispatch,steps'),
  PREPARE_CONCURRENCY: z.coerce.number().int().positive().optional(),
  DISPATCH_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /** Tenant policies, the model registry and the feature store live here. */
  DATABASE_URL: envSchemas.databaseUrl,
  /** How long a tenant's policy and the model registry are cached in process. */
  TENANT_CONTEXT_TTL_MS: z.coerce.number().int().positive().default(30_000),
  EXACT_CACHE_MAX_ENTRIES_PER_TENANT: z.coerce.number().int().positive().default(100_000),
  EXACT_CACHE_MAX_ENTRY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** Tier-2 semantic cache. */
  SEMANTIC_CACHE: envSchemas.bool(true),
  /** local: in-process Universal Sentence Encoder Lite (offline); openai: the embeddings API. */
  EMBEDDER: z.enum(['local', 'openai']).default('local'),
  EMBEDDING_MODEL: z.string().default('text-embedding-3-small'),
  /** local: tenant namespaces in Redis, replicated into each process; pinecone: a Pinecone index. */
  VECTOR_INDEX: z.enum(['local', 'pinecone']).default('local'),
  PINECONE_API_KEY: z.string().optional(),
  PINECONE_INDEX: z.string().optional(),
  PINECONE_HOST: z.string().url().optional(),
  SEMANTIC_MAX_ENTRIES_PER_TENANT: z.coerce.number().int().positive().default(100_000),
  /**
   * Embedding plus index query must finish within this, or the request goes on with tier 1 (the
   * miss is still remembered when the embedding arrives). A local USE Lite embedding takes about
   * 20–40 ms on this 2-core box; a provider call it can save takes hundreds of ms or more.
   */
  SEMANTIC_BUDGET_MS: z.coerce.number().int().positive().default(150),
  /** Feature-store reads must finish within this, or the prompt goes un-enriched. */
  ENRICHMENT_BUDGET_MS: z.coerce.number().int().positive().default(20),
  FEATURE_CACHE_TTL_S: z.coerce.number().int().positive().default(60),
});

export type PipelineConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  return parseEnv(schema, env);
}
