import { describe, expect, it } from 'vitest';
import { exactSearch, IvfIndex, DEFAULT_IVF_OPTIONS } from './ivf-index';
import { trainSphericalKMeans } from './kmeans';
import { createRng } from './rng';
import { clusteredUnitVectors, perturbUnitVector, uniformUnitVectors } from './synthetic-vectors';
import { TopK } from './top-k';
import { VectorSlab } from './vector-slab';
import { dot } from './vector-math';

const DIMS = 64;
const all = () => true;

function slabOf(vectors: Float32Array, dims: number): { slab: VectorSlab; slots: Int32Array } {
  const n = vectors.length / dims;
  const slab = new VectorSlab(dims, 16);
  const slots = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    slots[i] = slab.allocate();
    slab.write(slots[i]!, vectors.subarray(i * dims, (i + 1) * dims));
  }
  return { slab, slots };
}

function best(search: (top: TopK) => void, k = 1): number[] {
  const top = new TopK(k);
  search(top);
  return Array.from(top.slots.subarray(0, top.size));
}

describe('dot', () => {
  it.each([1, 7, 8, 9, 17, 512])(
    'matches the plain sum over %i dimensions, at any offset',
    (dims) => {
      const rng = createRng(dims);
      const a = Float32Array.from({ length: dims + 3 }, () => rng.gaussian());
      const b = Float32Array.from({ length: dims + 5 }, () => rng.gaussian());
      let expected = 0;
      for (let j = 0; j < dims; j++) expected += a[3 + j]! * b[5 + j]!;
      expect(dot(a, 3, b, 5, dims)).toBeCloseTo(expected, 4);
    },
  );
});

describe('TopK', () => {
  it.each([
    { k: 3, pushes: [0.1, 0.9, 0.5, 0.7, 0.2], slots: [1, 3, 2], scores: [0.9, 0.7, 0.5] },
    { k: 1, pushes: [0.3, 0.3, 0.8], slots: [2], scores: [0.8] },
    { k: 4, pushes: [0.4, -0.2], slots: [0, 1], scores: [0.4, -0.2] },
    { k: 0, pushes: [1], slots: [], scores: [] },
  ])('keeps the best $k of $pushes, best first', ({ k, pushes, slots, scores }) => {
    const top = new TopK(k);
    pushes.forEach((s, slot) => top.push(slot, s));
    expect(Array.from(top.slots.subarray(0, top.size))).toEqual(slots);
    expect(Array.from(top.scores.subarray(0, top.size)).map((s) => +s.toFixed(6))).toEqual(scores);
  });
});

describe('VectorSlab', () => {
  it('reuses freed slots and grows past its initial capacity without losing rows', () => {
    const slab = new VectorSlab(2, 2);
    const a = slab.allocate();
    const b = slab.allocate();
    slab.write(a, Float32Array.of(1, 2));
    slab.write(b, Float32Array.of(3, 4));
    const c = slab.allocate(); // grows
    slab.write(c, Float32Array.of(5, 6));
    slab.release(b);
    expect(slab.allocate()).toBe(b);
    expect(Array.from(slab.read(a))).toEqual([1, 2]);
    expect(Array.from(slab.read(c))).toEqual([5, 6]);
    expect(slab.size).toBe(3);
  });

  it('accepts unaligned little-endian bytes', () => {
    const slab = new VectorSlab(2, 1);
    const slot = slab.allocate();
    const bytes = Buffer.alloc(9);
    bytes.writeFloatLE(0.25, 1);
    bytes.writeFloatLE(-2, 5);
    slab.writeBytes(slot, bytes.subarray(1));
    expect(Array.from(slab.read(slot))).toEqual([0.25, -2]);
  });
});

describe('trainSphericalKMeans', () => {
  it('recovers well-separated topics: every topic lands in a single cluster', () => {
    const rng = createRng(7);
    const centers = uniformUnitVectors(8, DIMS, rng);
    const { vectors } = clusteredUnitVectors(800, DIMS, rng, { clusters: 8, spread: 0.3, centers });
    const rows = Int32Array.from({ length: 800 }, (_, i) => i);
    const { assignment, k } = trainSphericalKMeans(vectors, rows, DIMS, 8, 20, rng);
    expect(k).toBe(8);
    const topicOf = (row: number) => {
      let bestTopic = 0;
      for (let t = 1; t < 8; t++)
        if (
          dot(centers, t * DIMS, vectors, row * DIMS, DIMS) >
          dot(centers, bestTopic * DIMS, vectors, row * DIMS, DIMS)
        )
          bestTopic = t;
      return bestTopic;
    };
    const clustersPerTopic = new Map<number, Set<number>>();
    rows.forEach((row, i) => {
      const set = clustersPerTopic.get(topicOf(row)) ?? new Set();
      set.add(assignment[i]!);
      clustersPerTopic.set(topicOf(row), set);
    });
    expect([...clustersPerTopic.values()].map((s) => s.size)).toEqual(Array(8).fill(1));
  });

  it('returns one centroid per row when there are fewer rows than k', () => {
    const vectors = uniformUnitVectors(3, DIMS, createRng(1));
    const result = trainSphericalKMeans(vectors, Int32Array.of(0, 1, 2), DIMS, 10, 5, createRng(2));
    expect(result.k).toBe(3);
  });
});

describe.each([true, false])('IvfIndex agrees with exact search (SIMD: %s)', (useSimd) => {
  const n = 12_000;
  const rng = createRng(2024);
  const { vectors, centers } = clusteredUnitVectors(n, DIMS, rng, { clusters: 60, spread: 0.8 });
  const { slab, slots } = slabOf(vectors, DIMS);
  const ivf = IvfIndex.train(slab, slots, DEFAULT_IVF_OPTIONS, createRng(3), useSimd);

  const recall = (queries: Float32Array[]) => {
    let hits = 0;
    for (const q of queries) {
      const exact = best((top) => exactSearch(slab, q, top, all));
      const approx = best((top) => ivf.search(q, top, all));
      if (approx[0] === exact[0]) hits++;
    }
    return hits / queries.length;
  };

  it('finds the exact nearest neighbour of fresh same-topic queries at least 95% of the time', () => {
    const queries = Array.from(
      { length: 200 },
      () => clusteredUnitVectors(1, DIMS, rng, { clusters: 0, spread: 0.8, centers }).vectors,
    );
    expect(recall(queries)).toBeGreaterThanOrEqual(0.95);
  });

  it('finds the stored original of near-duplicate queries (cos ≈ 0.95) at least 98% of the time', () => {
    const queries = Array.from({ length: 200 }, () => {
      const r = rng.int(n);
      return perturbUnitVector(vectors.subarray(r * DIMS, (r + 1) * DIMS), 0.33, rng);
    });
    expect(recall(queries)).toBeGreaterThanOrEqual(0.98);
  });

  it('scans only part of the data', () => {
    const q = vectors.subarray(0, DIMS);
    expect(ivf.search(q, new TopK(1), all)).toBeLessThan(n / 2);
  });

  it('returns exact scores for what it finds', () => {
    const q = vectors.subarray(5 * DIMS, 6 * DIMS);
    const top = new TopK(3);
    ivf.search(q, top, all);
    expect(top.slots[0]).toBe(slots[5]);
    expect(top.scores[0]).toBeCloseTo(1, 5);
    for (let i = 0; i < top.size; i++)
      expect(top.scores[i]).toBeCloseTo(dot(q, 0, slab.data, top.slots[i]! * DIMS, DIMS), 6);
  });

  it('skips slots the caller rejects and forgets removed slots', () => {
    const q = vectors.subarray(9 * DIMS, 10 * DIMS);
    const rejected = best((top) => ivf.search(q, top, (slot) => slot !== slots[9]));
    expect(rejected[0]).not.toBe(slots[9]);
    ivf.remove(slots[9]!);
    expect(best((top) => ivf.search(q, top, all))[0]).not.toBe(slots[9]);
    ivf.assign(slots[9]!);
    expect(best((top) => ivf.search(q, top, all))[0]).toBe(slots[9]);
    expect(ivf.size).toBe(n);
  });
});
