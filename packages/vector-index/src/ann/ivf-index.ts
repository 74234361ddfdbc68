import { pickDistinct, trainSphericalKMeansSteps } from './kmeans';
import type { Rng } from './rng';
import { IvfArena, SCORE_CHUNK } from './ivf-arena';
import { runToEnd, type Steps } from './time-slices';
import { TopK } from './top-k';
import type { VectorSlab } from './vector-slab';
import { dot } from './vector-math';

export interface IvfOptions {
  /** A query scans at least this many vectors, probing lists best-first until reached. */
  minCandidates: number;
  /** A query probes at least this many lists. */
  minProbes: number;
  /** k-means iterations per level. */
  trainIterations: number;
  /**
   * A vector goes to the best leaf among its this-many best top cells. 1 is cheapest, but a
   * topic on the border of two top cells then gets split into leaves that rank poorly for it.
   */
  assignCells: number;
}

export const DEFAULT_IVF_OPTIONS: IvfOptions = {
  minCandidates: 4096,
  minProbes: 8,
  trainIterations: 10,
  assignCells: 3,
};

/**
 * The list scan scores int8 copies (error ≈ ±0.005); this many contenders beyond topK are kept
 * and rescored exactly from the slab, so returned scores are exact and a near-tie within the
 * quantization error cannot push out the true best.
 */
const RERANK_EXTRA = 32;
/** Slots placed in leaves between two yields of a background build (≈ 2 ms at 512 dimensions). */
const LEAF_CHUNK = 64;
/** Slots quantized into the arena between two yields (≈ 1 ms). */
const FILE_CHUNK = 256;

/** Decides whether a scanned slot may enter the result (expiry check); called only for contenders. */
export type AcceptSlot = (slot: number) => boolean;

/**
 * Inverted-file index over a VectorSlab: vectors are grouped into lists around k-means centroids
 * ("leaves"); a query scores every leaf centroid, then scans the best lists: first their int8
 * copies (IvfArena, SIMD), then an exact rescoring of the best few from the slab. Scores are exact
 * dot products; the choice of lists (and, within the quantization error, the shortlist) is
 * approximate.
 *
 * Two-level training keeps the build cheap in plain TypeScript: ~sqrt(L) top centroids, then
 * ~sqrt(L) leaves inside each top cell, so assigning a vector costs ~2·sqrt(L) dot products
 * instead of L. Queries still rank all L leaves directly.
 */
export class IvfIndex {
  private leafOf: Int32Array;
  private posInLeaf: Int32Array;
  private readonly lists: Int32Array[];
  private readonly listSize: Int32Array;
  readonly trainedSize: number;
  /** Leaf centroids (row-major). */
  readonly leaves: Float32Array;
  /** Leaf centroids and per-list int8 codes, where the SIMD kernels scan them. */
  private readonly arena: IvfArena;
  // Per-query scratch, reused: a query runs synchronously, so one set per index suffices.
  private readonly leafScores: Float32Array;
  private shortlist = new TopK(1 + RERANK_EXTRA);

  private constructor(
    private readonly slab: VectorSlab,
    private readonly top: Float32Array,
    private readonly leafRange: Int32Array,
    leafVectors: Float32Array,
    readonly leafCount: number,
    private readonly options: IvfOptions,
    leafOfSlot: Int32Array,
    useSimd: boolean,
  ) {
    this.trainedSize = leafOfSlot.length;
    this.leaves = leafVectors;
    this.leafScores = new Float32Array(leafCount);
    this.leafOf = new Int32Array(slab.highWater).fill(-1);
    this.posInLeaf = new Int32Array(slab.highWater);
    // Every slot's leaf is known before filing, so lists and their code blocks start at their
    // final size (plus room to grow) instead of being moved as they fill.
    const counts = new Int32Array(leafCount);
    for (const leaf of leafOfSlot) counts[leaf]!++;
    const capacities = counts.map((c) => c + Math.ceil(c / 4) + 8);
    this.lists = Array.from(capacities, (c) => new Int32Array(c));
    this.listSize = new Int32Array(leafCount);
    this.arena = new IvfArena(slab.dims, leafVectors, leafCount, capacities, useSimd);
  }

  /** Trains on a sample of `slots` and assigns every one of them. */
  static train(
    slab: VectorSlab,
    slots: Int32Array,
    options: IvfOptions,
    rng: Rng,
    useSimd = true,
  ): IvfIndex {
    return runToEnd(IvfIndex.trainSteps(slab, slots, options, rng, useSimd));
  }

  /**
   * `train` as steps that yield every few milliseconds of work, for a build in the background.
   * Reads the slab afresh at every step (it may regrow meanwhile); slots written or released
   * while the steps pause must be re-filed by the caller before the index is used.
   */
  static *trainSteps(
    slab: VectorSlab,
    slots: Int32Array,
    options: IvfOptions,
    rng: Rng,
    useSimd = true,
  ): Steps<IvfIndex> {
    const dims = slab.dims;
    const data = () => slab.data;
    // Two-level rounding can add up to √target leaves; all of them must fit one scoring chunk.
    const leafTarget = Math.max(1, Math.min(SCORE_CHUNK / 2, Math.round(Math.sqrt(slots.length))));
    const topK = Math.max(1, Math.round(Math.sqrt(leafTarget)));
    const perTop = Math.ceil(leafTarget / topK);
    const sampleSize = Math.min(slots.length, Math.max(leafTarget * 16, 4096), 32_768);
    const picks = pickDistinct(slots.length, sampleSize, rng);
    const sample = Int32Array.from(picks, (i) => slots[i]!);
    const iters = options.trainIterations;
    const coarse = yield* trainSphericalKMeansSteps(data, sample, dims, topK, iters, rng);
    const leafChunks: Float32Array[] = [];
    const leafRange = new Int32Array(coarse.k + 1);
    let leafCount = 0;
    for (let t = 0; t < coarse.k; t++) {
      const cell = sample.filter((_, i) => coarse.assignment[i] === t);
      const sub =
        cell.length > 0
          ? yield* trainSphericalKMeansSteps(data, cell, dims, perTop, iters, rng)
          : { centroids: coarse.centroids.slice(t * dims, (t + 1) * dims), k: 1 };
      leafChunks.push(sub.centroids);
      leafRange[t] = leafCount;
      leafCount += sub.k;
    }
    leafRange[coarse.k] = leafCount;
    const leaves = new Float32Array(leafCount * dims);
    let at = 0;
    for (const chunk of leafChunks) {
      leaves.set(chunk, at);
      at += chunk.length;
    }
    const geometry = { top: coarse.centroids, leafRange, leaves, dims, options };
    const leafOfSlot = new Int32Array(slots.length);
    for (let from = 0; from < slots.length; from += LEAF_CHUNK) {
      for (let i = from; i < Math.min(slots.length, from + LEAF_CHUNK); i++)
        leafOfSlot[i] = nearestLeafOf(geometry, slab.data, slots[i]! * dims);
      yield;
    }
    const index = new IvfIndex(
      slab,
      coarse.centroids,
      leafRange,
      leaves,
      leafCount,
      options,
      leafOfSlot,
      useSimd,
    );
    for (let from = 0; from < slots.length; from += FILE_CHUNK) {
      for (let i = from; i < Math.min(slots.length, from + FILE_CHUNK); i++)
        index.file(slots[i]!, leafOfSlot[i]!);
      yield;
    }
    return index;
  }

  get size(): number {
    let n = 0;
    for (let l = 0; l < this.leafCount; l++) n += this.listSize[l]!;
    return n;
  }

  get byteLength(): number {
    let lists = 0;
    for (const list of this.lists) lists += list.byteLength;
    return (
      this.leafOf.byteLength +
      this.posInLeaf.byteLength +
      lists +
      this.leaves.byteLength +
      this.arena.byteLength +
      this.leafScores.byteLength +
      this.top.byteLength
    );
  }

  /** Files a slot (its vector already in the slab) under its nearest leaf. */
  assign(slot: number): void {
    if (slot >= this.leafOf.length) this.growSideArrays(slot + 1);
    if (this.leafOf[slot]! >= 0) this.remove(slot);
    this.file(slot, this.nearestLeaf(this.slab.data, slot * this.slab.dims));
  }

  /** Appends a slot to a leaf's list and its int8 code to the arena. */
  private file(slot: number, leaf: number): void {
    let list = this.lists[leaf]!;
    const size = this.listSize[leaf]!;
    if (size === list.length) {
      const bigger = new Int32Array(list.length * 2);
      bigger.set(list);
      this.lists[leaf] = list = bigger;
    }
    list[size] = slot;
    this.arena.write(leaf, size, this.slab.data, slot * this.slab.dims);
    this.listSize[leaf] = size + 1;
    this.leafOf[slot] = leaf;
    this.posInLeaf[slot] = size;
  }

  remove(slot: number): void {
    const leaf = slot < this.leafOf.length ? this.leafOf[slot]! : -1;
    if (leaf < 0) return;
    // Swap-remove: the list's last slot takes the removed one's place.
    const list = this.lists[leaf]!;
    const last = --this.listSize[leaf]!;
    const pos = this.posInLeaf[slot]!;
    const moved = list[last]!;
    list[pos] = moved;
    this.arena.moveAndShrink(leaf, last, pos);
    this.posInLeaf[moved] = pos;
    this.leafOf[slot] = -1;
  }

  /** Adds the best matches to `top` (exact scores); returns how many vectors it scanned. */
  search(query: Float32Array, top: TopK, accept: AcceptSlot): number {
    if (top.k === 0) return 0;
    const shortlist = this.shortlistFor(top.k);
    const arena = this.arena;
    arena.setQuery(query);
    arena.scoreLeaves();
    this.leafScores.set(arena.scores.subarray(0, this.leafCount));
    let scanned = 0;
    for (let p = 0; p < this.leafCount; p++) {
      if (p >= this.options.minProbes && scanned >= this.options.minCandidates) break;
      const leaf = this.takeBestLeaf();
      const list = this.lists[leaf]!;
      const size = this.listSize[leaf]!;
      for (let from = 0; from < size; from += SCORE_CHUNK) {
        const count = Math.min(SCORE_CHUNK, size - from);
        arena.scoreList(leaf, from, count);
        const scores = arena.scores;
        for (let i = 0; i < count; i++) {
          const s = scores[i]!;
          if (s <= shortlist.floor) continue;
          const slot = list[from + i]!;
          if (accept(slot)) shortlist.push(slot, s);
        }
      }
      scanned += size;
    }
    const dims = this.slab.dims;
    const data = this.slab.data;
    for (let i = 0; i < shortlist.size; i++) {
      const slot = shortlist.slots[i]!;
      top.push(slot, dot(query, 0, data, slot * dims, dims));
    }
    return scanned;
  }

  private nearestLeaf(data: Float32Array, off: number): number {
    const { top, leafRange, leaves, options } = this;
    return nearestLeafOf({ top, leafRange, leaves, dims: this.slab.dims, options }, data, off);
  }

  /**
   * The best leaf not yet taken (then marked taken). A query probes few leaves, so repeated
   * selection (O(leaves) each) is cheaper than sorting all of them.
   */
  private takeBestLeaf(): number {
    const scores = this.leafScores;
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let l = 0; l < this.leafCount; l++) {
      if (scores[l]! > bestScore) {
        bestScore = scores[l]!;
        best = l;
      }
    }
    scores[best] = Number.NEGATIVE_INFINITY;
    return best;
  }

  private shortlistFor(k: number): TopK {
    if (this.shortlist.k !== k + RERANK_EXTRA) this.shortlist = new TopK(k + RERANK_EXTRA);
    this.shortlist.clear();
    return this.shortlist;
  }

  private growSideArrays(min: number): void {
    const capacity = Math.max(min, Math.ceil(this.leafOf.length * 1.5));
    const leafOf = new Int32Array(capacity).fill(-1);
    leafOf.set(this.leafOf);
    const posInLeaf = new Int32Array(capacity);
    posInLeaf.set(this.posInLeaf);
    this.leafOf = leafOf;
    this.posInLeaf = posInLeaf;
  }
}

interface LeafGeometry {
  top: Float32Array;
  leafRange: Int32Array;
  leaves: Float32Array;
  dims: number;
  options: IvfOptions;
}

/** The best leaf among the leaves of the `assignCells` best top cells of the vector at data[off]. */
function nearestLeafOf(g: LeafGeometry, data: Float32Array, off: number): number {
  const { dims, leafRange } = g;
  const cells = leafRange.length - 1;
  const best = new TopK(Math.min(g.options.assignCells, cells));
  for (let t = 0; t < cells; t++) best.push(t, dot(g.top, t * dims, data, off, dims));
  let leaf = 0;
  let leafScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < best.size; i++) {
    const t = best.slots[i]!;
    for (let l = leafRange[t]!; l < leafRange[t + 1]!; l++) {
      const s = dot(g.leaves, l * dims, data, off, dims);
      if (s > leafScore) {
        leafScore = s;
        leaf = l;
      }
    }
  }
  return leaf;
}

/** Brute-force scan of every live slot: exact, used below the ANN threshold and as the reference. */
export function exactSearch(
  slab: VectorSlab,
  query: Float32Array,
  top: TopK,
  accept: AcceptSlot,
  from = 0,
  to = slab.highWater,
): number {
  const dims = slab.dims;
  const data = slab.data;
  const live = slab.live;
  const end = Math.min(to, slab.highWater);
  for (let slot = from; slot < end; slot++) {
    if (live[slot] !== 1) continue;
    const s = dot(query, 0, data, slot * dims, dims);
    if (s > top.floor && accept(slot)) top.push(slot, s);
  }
  return slab.size;
}
