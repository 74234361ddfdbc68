import type { Rng } from './rng';
import { runToEnd, type Steps } from './time-slices';
import { dot, normalizeAt } from './vector-math';

export interface KMeansResult {
  /** k unit-length centroids, row-major. */
  centroids: Float32Array;
  k: number;
  /** Centroid index of each training row, in the order of `rows`. */
  assignment: Int32Array;
}

/**
 * Spherical k-means (cosine): assign each row to the centroid with the largest dot product, then
 * set each centroid to the normalised mean of its rows. `rows` are row numbers into `data`
 * (stride `dims`). Fewer rows than k gives one centroid per row.
 */
export function trainSphericalKMeans(
  data: Float32Array,
  rows: Int32Array,
  dims: number,
  k: number,
  iterations: number,
  rng: Rng,
): KMeansResult {
  return runToEnd(trainSphericalKMeansSteps(() => data, rows, dims, k, iterations, rng));
}

/** Rows assigned between two yields (≈ 1 ms at 18 centroids × 512 dimensions). */
const ASSIGN_CHUNK = 128;

/**
 * The same training as steps that yield every few rows. `data` is read through a getter at every
 * step, because a replica's slab may be regrown (a new array) while a background build pauses.
 */
export function* trainSphericalKMeansSteps(
  data: () => Float32Array,
  rows: Int32Array,
  dims: number,
  k: number,
  iterations: number,
  rng: Rng,
): Steps<KMeansResult> {
  const n = rows.length;
  const kk = Math.max(1, Math.min(k, n));
  const centroids = new Float32Array(kk * dims);
  const picks = pickDistinct(n, kk, rng);
  for (let c = 0; c < kk; c++) centroids.set(rowOf(data(), rows[picks[c]!]!, dims), c * dims);
  const assignment = new Int32Array(n).fill(-1);
  for (let it = 0; it < iterations; it++) {
    const changed = yield* assignRows(data, rows, dims, centroids, kk, assignment);
    yield* recomputeCentroids(data, rows, dims, centroids, kk, assignment, rng);
    if (changed === 0) break;
  }
  yield* assignRows(data, rows, dims, centroids, kk, assignment);
  return { centroids, k: kk, assignment };
}

/** Index of the centroid in [from, to) with the largest dot product against `v[off]`. */
export function nearestCentroid(
  centroids: Float32Array,
  from: number,
  to: number,
  v: Float32Array,
  off: number,
  dims: number,
): number {
  let best = from;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let c = from; c < to; c++) {
    const s = dot(centroids, c * dims, v, off, dims);
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return best;
}

function* assignRows(
  data: () => Float32Array,
  rows: Int32Array,
  dims: number,
  centroids: Float32Array,
  k: number,
  assignment: Int32Array,
): Steps<number> {
  let changed = 0;
  for (let from = 0; from < rows.length; from += ASSIGN_CHUNK) {
    const rowData = data();
    for (let i = from; i < Math.min(rows.length, from + ASSIGN_CHUNK); i++) {
      const c = nearestCentroid(centroids, 0, k, rowData, rows[i]! * dims, dims);
      if (assignment[i] !== c) changed++;
      assignment[i] = c;
    }
    yield;
  }
  return changed;
}

/** Rows summed between two yields (512 additions each). */
const SUM_CHUNK = 2048;

function* recomputeCentroids(
  data: () => Float32Array,
  rows: Int32Array,
  dims: number,
  centroids: Float32Array,
  k: number,
  assignment: Int32Array,
  rng: Rng,
): Steps<void> {
  const sums = new Float64Array(k * dims);
  const counts = new Int32Array(k);
  for (let from = 0; from < rows.length; from += SUM_CHUNK) {
    const rowData = data();
    for (let i = from; i < Math.min(rows.length, from + SUM_CHUNK); i++) {
      const c = assignment[i]!;
      const off = rows[i]! * dims;
      counts[c]!++;
      for (let j = 0; j < dims; j++) sums[c * dims + j]! += rowData[off + j]!;
    }
    yield;
  }
  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) {
      // An empty cluster takes a random row, so k centroids stay in use.
      centroids.set(rowOf(data(), rows[rng.int(rows.length)]!, dims), c * dims);
      continue;
    }
    for (let j = 0; j < dims; j++) centroids[c * dims + j] = sums[c * dims + j]!;
    normalizeAt(centroids, c * dims, dims);
  }
}

function rowOf(data: Float32Array, row: number, dims: number): Float32Array {
  return data.subarray(row * dims, (row + 1) * dims);
}

/** k distinct integers in [0, n) (partial Fisher–Yates). */
export function pickDistinct(n: number, k: number, rng: Rng): Int32Array {
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.subarray(0, k);
}
