import type { Rng } from './rng';
import { normalizeAt } from './vector-math';

/**
 * Seeded synthetic embeddings for tests and the benchmark. Real sentence embeddings are clustered
 * (topics), so the clustered set is the realistic case; uniform vectors on the sphere are the
 * worst case for any partition-based index and are reported separately.
 */

/** n unit vectors uniform on the sphere, row-major. */
export function uniformUnitVectors(n: number, dims: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * dims);
  for (let i = 0; i < out.length; i++) out[i] = rng.gaussian();
  for (let r = 0; r < n; r++) normalizeAt(out, r * dims, dims);
  return out;
}

export interface ClusterOptions {
  /** Number of topics. */
  clusters: number;
  /** Noise norm relative to the centre: cos(vector, centre) ≈ 1/sqrt(1 + spread²). */
  spread: number;
  /** Reuse these centres (e.g. to draw queries from the same topics as the data). */
  centers?: Float32Array;
}

export interface ClusteredSet {
  vectors: Float32Array;
  centers: Float32Array;
}

/** n unit vectors, each a random topic centre plus Gaussian noise of norm ≈ spread. */
export function clusteredUnitVectors(
  n: number,
  dims: number,
  rng: Rng,
  options: ClusterOptions,
): ClusteredSet {
  const centers = options.centers ?? uniformUnitVectors(options.clusters, dims, rng);
  const clusters = centers.length / dims;
  const scale = options.spread / Math.sqrt(dims);
  const vectors = new Float32Array(n * dims);
  for (let r = 0; r < n; r++) {
    const c = rng.int(clusters) * dims;
    for (let j = 0; j < dims; j++) vectors[r * dims + j] = centers[c + j]! + scale * rng.gaussian();
    normalizeAt(vectors, r * dims, dims);
  }
  return { vectors, centers };
}

/** A near-duplicate of `v` (a paraphrase): cos(result, v) ≈ 1/sqrt(1 + noise²). */
export function perturbUnitVector(v: Float32Array, noise: number, rng: Rng): Float32Array {
  const scale = noise / Math.sqrt(v.length);
  const out = new Float32Array(v.length);
  for (let j = 0; j < v.length; j++) out[j] = v[j]! + scale * rng.gaussian();
  normalizeAt(out, 0, out.length);
  return out;
}
