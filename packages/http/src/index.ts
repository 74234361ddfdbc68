export { createServer, mapError } from './create-server';
export type { CreateServerOptions } from './create-server';
export { onShutdown } from './shutdown';
export type { ShutdownStep } from './shutdown';
export { listenAndLog } from './listen';
