export { createLocalEmbedder } from './local.embedder';
export type { LocalEmbedderOptions } from './local.embedder';
