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
  /** Which pools this process runs (comma list of prepare, dispatch, intake). */
  PIPELINE_POOLS: z.string().default('intake,prepare,dispatch'),
  PREPARE_CONCURRENCY: z.coerce.number().int().positive().optional(),
  DISPATCH_CONCURRENCY: z.coerce.number().int().positive().optional(),
});

export type PipelineConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  return parseEnv(schema, env);
}
