/** The three backing services every app and test in the monorepo needs. */
export type Component = 'kafka' | 'redis' | 'postgres';

export const COMPONENTS: readonly Component[] = ['kafka', 'redis', 'postgres'];

/** Connection strings handed to apps and tests (same names as the env vars they map to). */
export interface InfraEndpoints {
  kafkaBrokers: string;
  redisUrl: string;
  databaseUrl: string;
  /** Components that THIS call newly started (so a caller can stop exactly those). */
  started: Component[];
  /**
   * Only with `INFRA=containers`, when this call started containers: removes them. They are also
   * removed when the calling process exits, so the caller must outlive their users.
   */
  stop?: () => Promise<void>;
}

export interface InfraOptions {
  log?: (line: string) => void;
}

export interface InfraDownOptions extends InfraOptions {
  only?: Component[];
}

/** One component's entry in `.asahi/infra/state.json`. */
export interface ComponentState {
  /** `env` = provided by an env var (never started or stopped by us); `local` = managed here. */
  source: 'env' | 'local';
  startedByUs: boolean;
  /** Pid of the server process (process-group leader); absent once stopped. */
  pid?: number;
  /** Main port; kept after `down` so the next `up` reuses it. */
  port?: number;
  /** Extra ports (Kafka's controller listener). */
  extraPorts?: Record<string, number>;
  url: string;
  logFile?: string;
  dataDir?: string;
  startedAt?: string;
}

export interface InfraState {
  version: 1;
  components: Partial<Record<Component, ComponentState>>;
}

export interface ComponentStatus {
  component: Component;
  source: 'env' | 'local' | 'none';
  startedByUs: boolean;
  running: boolean;
  healthy: boolean;
  url?: string;
  pid?: number;
  logFile?: string;
}

export interface InfraStatus {
  components: ComponentStatus[];
  stateFile: string;
}
