export { buildIngestApp } from './build-app';
export type { IngestApp, IngestDeps, IngestLimits } from './build-app';
export { createIngestRuntime } from './runtime';
export type { IngestRuntime } from './runtime';
export { loadConfig } from './config';
export type { IngestConfig } from './config';
