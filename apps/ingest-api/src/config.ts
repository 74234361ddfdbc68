import { envSchemas, parseEnv, z } from '@asahi/config';

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);

const schema = z.object({
  PORT: envSchemas.port(8080),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: envSchemas.logLevel,
  KAFKA_BROKERS: envSchemas.kafkaBrokers,
  REDIS_URL: envSchemas.redisUrl,
  DATABASE_URL: envSchemas.databaseUrl,
  /** Isolates topics, consumer groups and queues (tests, side-by-side stacks). Empty in production. */
  ASAHI_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9-]*$/)
    .default(''),
  /** Deadline of a request submitted with a wait, when the body names none. */
  DEFAULT_SYNC_DEADLINE_S: seconds(60),
  /** Deadline of a request submitted without a wait, when the body names none. */
  DEFAULT_ASYNC_DEADLINE_S: seconds(6 * 3600),
  /**
   * Completion window of a bulk upload without `completion_window`, when the tenant's policy
   * names none (60 s … 7 days).
   */
  DEFAULT_BULK_DEADLINE_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(86_400),
  /** Longest a client may hold a request open with `Prefer: wait=N` / `?wait=N`. */
  MAX_WAIT_S: seconds(60),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** Largest bulk upload (POST /v1/bulk), in bytes. */
  BULK_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 * 1024),
  /** Most non-blank lines in one bulk upload. */
  BULK_MAX_LINES: z.coerce.number().int().positive().default(50_000),
});

export type IngestConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  return parseEnv(schema, env);
}
