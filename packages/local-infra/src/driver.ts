import type { InfraPaths } from './paths';
import type { Component, ComponentState } from './types';

export type Log = (line: string) => void;

export interface PrepareContext {
  paths: InfraPaths;
  /** Our previous entry for this component, to reuse its ports and data. */
  prev: ComponentState | undefined;
  log: Log;
}

/** Everything needed to launch a server whose files and ports have been prepared. */
export interface Launch {
  /** The state entry to record once spawned (pid and startedAt are filled in by the caller). */
  entry: Omit<ComponentState, 'pid' | 'startedAt'>;
  spawn: () => number;
  /** Log files whose tails explain a failed start. */
  tailFiles: string[];
  startupTimeoutMs: number;
  /** URL to poll while starting, when it differs from `entry.url` (e.g. before our db exists). */
  readyUrl?: string;
  /** One-time setup that needs the running server (e.g. CREATE DATABASE). */
  afterReady?: () => Promise<void>;
}

/** What differs between Kafka, Redis and Postgres; the lifecycle around it is shared (manage.ts). */
export interface Driver {
  component: Component;
  envVar: 'KAFKA_BROKERS' | 'REDIS_URL' | 'DATABASE_URL';
  /**
   * Substring of our server's command line (data dir / config path / port), to recognise it
   * behind a recorded pid: after a reboot that pid may belong to anything, even another postgres.
   */
  marker: (entry: ComponentState) => string;
  /** Signal requesting a clean, fast shutdown. */
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  probe: (url: string) => Promise<boolean>;
  prepare: (ctx: PrepareContext) => Promise<Launch>;
}
