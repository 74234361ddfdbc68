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
  /** Step worker concurrency (tier 3); unset → QUEUE_POLICIES (32). */
  STEPS_CONCURRENCY: z.coerce.number().int().positive().optional(),
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
  /** Tier-3 step cache bounds: most step outputs kept per tenant (LRU) and largest entry cached. */
  STEP_CACHE_MAX_ENTRIES_PER_TENANT: z.coerce.number().int().positive().default(100_000),
  STEP_CACHE_MAX_ENTRY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** Tier-2 semantic cache. */
  SEMANTIC_CACHE: envSchemas.bool(true),
  /** local: in-process Universal Sentence Encoder Lite (offline); openai: the embeddings API. */
  EMBEDDER: z.enum(['local', 'openai']).default('local'),
  EMBEDDING_MODEL: z.string().default('text-embedding-3-small'),
  /** Calls the local embedder's thread may have waiting; more fail at once (tier 2 degraded). */
  EMBEDDER_MAX_QUEUE: z.coerce.number().int().nonnegative().default(256),
  /** local: tenant namespaces in Redis, replicated into each process; pinecone: a Pinecone index. */
  VECTOR_INDEX: z.enum(['local', 'pinecone']).default('local'),
  PINECONE_API_KEY: z.string().optional(),
  PINECONE_INDEX: z.string().optional(),
  PINECONE_HOST: z.string().url().optional(),
  SEMANTIC_MAX_ENTRIES_PER_TENANT: z.coerce.number().int().positive().default(100_000),
  /**
   * Memory the local vector index's in-process replicas may hold (≈ 290 MB per 100k-entry
   * tenant); beyond it the least recently queried tenant's replica is dropped and reloaded from
   * Redis on demand. VECTOR_INDEX=local only.
   */
  VECTOR_REPLICA_MAX_MB: z.coerce.number().int().positive().default(1024),
  /**
   * Embedding plus index query must finish within this, or the request goes on with tier 1 (the
   * miss is still remembered when the embedding arrives). A local USE Lite embedding takes about
   * 20–40 ms on this 2-core box; a provider call it can save takes hundreds of ms or more.
   */
  SEMANTIC_BUDGET_MS: z.coerce.number().int().positive().default(150),
  /** Feature-store reads must finish within this, or the prompt goes un-enriched. */
  ENRICHMENT_BUDGET_MS: z.coerce.number().int().positive().default(20),
  FEATURE_CACHE_TTL_S: z.coerce.number().int().positive().default(60),
  /**
   * Deadline-aware dispatch. Provider/model rate limits shared by every worker, JSON:
   * `{"*": {"rpm": 500, "tpm": 200000}, "gpt-4o": {"rpm": 100}}` ("*" = any other model; a
   * missing limit is unlimited). Empty = unlimited.
   */
  PROVIDER_LIMITS: z.string().default(''),
  /** Models that may answer when one fails or its breaker is open, JSON `{"gpt-4o": ["gpt-4.1"]}`. */
  FALLBACK_CHAINS: z.string().default(''),
  /** Send requests with enough deadline slack through the provider Batch API (half price). */
  BATCH_API: envSchemas.bool(true),
  /** Expected Batch API turnaround and the safety margin on top (planner policy). */
  BATCH_TURNAROUND_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 3_600_000),
  BATCH_MARGIN_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(30 * 60_000),
  /** Members that make a Batch API job worth submitting before the maximum wait. */
  BATCH_MIN_SIZE: z.coerce.number().int().positive().default(100),
  /** Longest a Batch-API-eligible request waits for company. */
  BATCH_MAX_WAIT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  /** How often a running Batch API job is polled (earlier when a member must be released). */
  BATCH_POLL_MS: z.coerce.number().int().positive().default(30_000),
  /** Time a realtime call needs, retries included: a request is due at its deadline minus this. */
  REALTIME_ALLOWANCE_MS: z.coerce.number().int().positive().default(60_000),
});

export type PipelineConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  return parseEnv(schema, env);
}
