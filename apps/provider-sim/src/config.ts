import { envSchemas, parseEnv, z } from '@asahi/config';
import { FAULT_KINDS, isFaultKind, type FaultKind } from './faults';

const nonNegative = (fallback: number) => z.coerce.number().min(0).default(fallback);
const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

const faultKinds = z
  .string()
  .default('500,503,429')
  .transform((s) =>
    s
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  )
  .refine((kinds) => kinds.every(isFaultKind), {
    message: `each kind must be one of ${FAULT_KINDS.join(', ')}`,
  })
  .transform((kinds) => kinds as FaultKind[]);

const apiKeys = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  );

export const configSchema = z.object({
  PORT: envSchemas.port(8090),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: envSchemas.logLevel,
  /** Require `Authorization: Bearer <key>` on /v1 (401 like OpenAI when missing). */
  SIM_REQUIRE_AUTH: envSchemas.bool(false),
  /** When non-empty (comma list), only these keys are accepted; others get 401 invalid_api_key. */
  SIM_API_KEYS: apiKeys,
  SIM_LATENCY_MS: nonNegative(0),
  SIM_LATENCY_PER_TOKEN_MS: nonNegative(0),
  SIM_LATENCY_JITTER_MS: nonNegative(0),
  SIM_RPM: nonNegativeInt(0),
  SIM_TPM: nonNegativeInt(0),
  SIM_FAULT_RATE: z.coerce.number().min(0).max(1).default(0),
  SIM_FAULT_KINDS: faultKinds,
  SIM_TIMEOUT_HOLD_MS: nonNegativeInt(30_000),
  /** retry-after carried by injected 429 faults. */
  SIM_FAULT_RETRY_AFTER_MS: nonNegativeInt(1_000),
  SIM_SEED: z.coerce.number().int().default(42),
  SIM_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(32 * 1024 * 1024),
  /** Time from POST /v1/batches to `completed` (10% validating, 80% in_progress, 10% finalizing). */
  SIM_BATCH_TURNAROUND_MS: nonNegativeInt(2_000),
  /** The real `24h` window; set it below the turnaround to force `expired`. */
  SIM_BATCH_COMPLETION_WINDOW_MS: z.coerce.number().int().min(1).default(86_400_000),
  /** Upload limits of /v1/files, like OpenAI's batch input limits (200 MB, 50,000 requests). */
  SIM_FILE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(200 * 1024 * 1024),
  SIM_FILE_MAX_LINES: z.coerce.number().int().min(1).default(50_000),
});

export type SimConfig = z.infer<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): SimConfig {
  return parseEnv(configSchema, env);
}
