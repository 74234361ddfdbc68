import { z } from 'zod';
import { AppError } from '@asahi/errors';

export { z };

/**
 * Parses the environment once against an app's zod schema and fails fast with every problem
 * listed, so a misconfigured process dies at start with a message an operator can act on.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new AppError('invalid_request', `Invalid configuration:\n${problems.join('\n')}`);
}

/** Building blocks every app's config.ts reuses. */
export const envSchemas = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  kafkaBrokers: z
    .string()
    .min(
      1,
      'KAFKA_BROKERS is required (comma-separated host:port; `npm run infra -- up` provides one)',
    )
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    ),
  redisUrl: z.string().url('REDIS_URL must be a redis:// URL'),
  databaseUrl: z.string().url('DATABASE_URL must be a postgresql:// URL'),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
};
