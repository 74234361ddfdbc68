export { freePort, isPortFree } from './ports';
export { appProcess, REPO_ROOT } from './app-process';
export type { AppProcess, AppProcessOptions } from './app-process';
export { startStack } from './stack';
export type { Stack, StackEndpoints, StackOptions } from './stack';
export { readInfraEndpoints } from '@asahi/local-infra';
export { waitFor } from './wait-for';
