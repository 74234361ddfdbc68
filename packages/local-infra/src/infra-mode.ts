import { COMPONENTS, type Component } from './types';

/** Where `infraUp` gets the servers from: local processes (default) or testcontainers. */
export type InfraMode = 'local' | 'containers';

/** Env var that hands an existing server to us; when set, that component is never started. */
export const ENV_VARS = {
  kafka: 'KAFKA_BROKERS',
  redis: 'REDIS_URL',
  postgres: 'DATABASE_URL',
} as const satisfies Record<Component, string>;

/**
 * `INFRA=containers` selects testcontainers; unset, empty or `local` keeps local processes. Any
 * other value is rejected rather than silently falling back, so a typo (`INFRA=container`) does
 * not quietly start local servers on a machine set up for Docker.
 */
export function infraMode(env: NodeJS.ProcessEnv): InfraMode {
  const value = env.INFRA?.trim() ?? '';
  if (value === '' || value === 'local') return 'local';
  if (value === 'containers') return 'containers';
  throw new Error(`INFRA=${value} is not supported: use INFRA=containers, or leave INFRA unset`);
}

/** Components to start ourselves: those not provided through their env var (env keeps priority). */
export function componentsToStart(env: NodeJS.ProcessEnv): Component[] {
  return COMPONENTS.filter((c) => !env[ENV_VARS[c]]);
}
