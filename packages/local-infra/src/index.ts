import type { Driver } from './driver';
import { ENV_VARS, infraMode } from './infra-mode';
import { kafkaDriver } from './kafka';
import { withLock } from './lock';
import { ensureUp, statusOf, stopComponent } from './manage';
import { infraPaths } from './paths';
import { postgresDriver } from './postgres';
import { pidMatches } from './process';
import { redisDriver } from './redis';
import { readState } from './state';
import {
  COMPONENTS,
  type Component,
  type InfraDownOptions,
  type InfraEndpoints,
  type InfraOptions,
  type InfraStatus,
} from './types';

export type {
  Component,
  ComponentState,
  ComponentStatus,
  InfraDownOptions,
  InfraEndpoints,
  InfraOptions,
  InfraState,
  InfraStatus,
} from './types';
export { renderLog4j2Config, renderServerProperties } from './kafka-config';
export { asahiHome, infraPaths } from './paths';

const DRIVERS: Record<Component, Driver> = {
  kafka: kafkaDriver,
  redis: redisDriver,
  postgres: postgresDriver,
};

/** Carries what was started before another component failed, so callers can still stop it. */
export class InfraUpError extends Error {
  constructor(
    message: string,
    readonly started: Component[],
  ) {
    super(message);
    this.name = 'InfraUpError';
  }
}

/**
 * Starts whatever is not provided by env vars and not already running, all three in parallel
 * (Kafka's JVM dominates). Serialised across processes by a lock file so concurrent `npm start`
 * and `npm test` share one set of servers.
 *
 * With `INFRA=containers` it starts containers instead (testcontainers, needs a Docker engine):
 * owned by this process, not shared, not in the state file; the result's `stop` removes them.
 */
export async function infraUp(opts: InfraOptions = {}): Promise<InfraEndpoints> {
  const log = opts.log ?? (() => {});
  if (infraMode(process.env) === 'containers') {
    // Lazy: the default path never loads testcontainers (a devDependency of this package).
    const { startContainers } = await import('./containers');
    return startContainers(log).catch((err: unknown) => {
      throw new InfraUpError(errorText(err), []);
    });
  }
  const paths = infraPaths();
  return withLock(paths.lockFile, async () => {
    const results = await Promise.allSettled(
      COMPONENTS.map((c) => ensureUp(DRIVERS[c], paths, log)),
    );
    const started = COMPONENTS.filter((_, i) => {
      const r = results[i];
      return r?.status === 'fulfilled' && r.value.started;
    });
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${COMPONENTS[i]}: ${errorText(r.reason)}`] : [],
    );
    if (failures.length)
      throw new InfraUpError(`local infra failed to start\n${failures.join('\n\n')}`, started);
    const url = (i: number) => (results[i] as PromiseFulfilledResult<{ url: string }>).value.url;
    return { kafkaBrokers: url(0), redisUrl: url(1), databaseUrl: url(2), started };
  });
}

/** Stops what we started (never env-provided servers), optionally only some; resolves once they are gone. */
export async function infraDown(opts: InfraDownOptions = {}): Promise<Component[]> {
  const log = opts.log ?? (() => {});
  const paths = infraPaths();
  const targets = COMPONENTS.filter((c) => !opts.only || opts.only.includes(c));
  return withLock(paths.lockFile, async () => {
    const stopped = await Promise.all(targets.map((c) => stopComponent(DRIVERS[c], paths, log)));
    return targets.filter((_, i) => stopped[i]);
  });
}

/** Each component's source (env / local / none), whether its process runs and whether it answers. */
export async function infraStatus(): Promise<InfraStatus> {
  const paths = infraPaths();
  const components = await Promise.all(COMPONENTS.map((c) => statusOf(DRIVERS[c], paths)));
  return { components, stateFile: paths.stateFile };
}

/**
 * Synchronous lookup for test fixtures: env vars first, then the state file. Returns undefined when
 * something is missing or our recorded server process is gone, so fixtures can fail with a clear
 * "run `npm run infra -- up`" instead of timing out on a dead port.
 */
export function readInfraEndpoints(): InfraEndpoints | undefined {
  const state = readState(infraPaths().stateFile);
  const urlOf = (c: Component): string | undefined => {
    const fromEnv = process.env[ENV_VARS[c]];
    if (fromEnv) return fromEnv;
    const entry = state.components[c];
    if (entry?.source === 'local' && !pidMatches(entry.pid, DRIVERS[c].marker(entry)))
      return undefined;
    return entry?.url;
  };
  const [kafkaBrokers, redisUrl, databaseUrl] = COMPONENTS.map(urlOf);
  if (!kafkaBrokers || !redisUrl || !databaseUrl) return undefined;
  return { kafkaBrokers, redisUrl, databaseUrl, started: [] };
}

export function infraEnv(e: InfraEndpoints): Record<string, string> {
  return { KAFKA_BROKERS: e.kafkaBrokers, REDIS_URL: e.redisUrl, DATABASE_URL: e.databaseUrl };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
