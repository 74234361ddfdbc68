export { createLocalEmbedder } from './local.embedder';
export type { LocalEmbedderOptions } from './local.embedder';
export { createThreadedEmbedder } from './threaded.embedder';
export type {
  ThreadedEmbedder,
  ThreadedEmbedderOptions,
  ThreadedEmbedderStatus,
} from './threaded.embedder';
