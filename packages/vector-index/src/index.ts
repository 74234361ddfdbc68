export { createRedisVectorIndex } from './redis-vector.index';
export type {
  NamespaceStats,
  RedisVectorIndex,
  RedisVectorIndexOptions,
} from './redis-vector.index';
export { DEFAULT_ANN_OPTIONS, ReplicaStore } from './replica-store';
export type { AnnOptions, SearchOptions } from './replica-store';
export { createRng } from './ann/rng';
export type { Rng } from './ann/rng';
export {
  clusteredUnitVectors,
  uniformUnitVectors,
  perturbUnitVector,
} from './ann/synthetic-vectors';
