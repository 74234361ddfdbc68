import { envSchemas, parseEnv, z } from '@asahi/config';

const schema = z.object({
  PORT: envSchemas.port(8083),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: envSchemas.logLevel,
  KAFKA_BROKERS: envSchemas.kafkaBrokers,
  REDIS_URL: envSchemas.redisUrl,
  DATABASE_URL: envSchemas.databaseUrl,
  ASAHI_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9-]*$/)
    .default(''),
  /** HMAC-SHA256 key for webhook signatures. Set a real secret in production. */
  WEBHOOK_SIGNING_SECRET: z.string().min(16).default('asahi-dev-webhook-secret'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** How often to look for jobs Postgres holds as non-terminal, and how old they must be. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  RECONCILE_STALE_AFTER_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
});

export type ResultsConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ResultsConfig {
  return parseEnv(schema, env);
}
