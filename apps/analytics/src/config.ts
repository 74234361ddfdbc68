import { envSchemas, parseEnv, z } from '@asahi/config';

const schema = z.object({
  PORT: envSchemas.port(8084),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: envSchemas.logLevel,
  KAFKA_BROKERS: envSchemas.kafkaBrokers,
  DATABASE_URL: envSchemas.databaseUrl,
  ASAHI_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9-]*$/)
    .default(''),
});

export type AnalyticsConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AnalyticsConfig {
  return parseEnv(schema, env);
}
