import type { VectorMatch, VectorMetadata } from '@asahi/stages';
import { DEFAULT_IVF_OPTIONS, exactSearch, IvfIndex, type IvfOptions } from './ann/ivf-index';
import { createRng, type Rng } from './ann/rng';
import { TopK } from './ann/top-k';
import { VectorSlab } from './ann/vector-slab';

export interface AnnOptions extends IvfOptions {
  /** Below this many entries a query scans everything exactly (~1.3 ms at 4096 × 512). */
  minEntries: number;
  /** Retrain once the entry count has grown (or shrunk) by this factor since the last training. */
  retrainFactor: number;
  /** Seed of the k-means sampling, so builds are reproducible. */
  seed: number;
}

export const DEFAULT_ANN_OPTIONS: AnnOptions = {
  ...DEFAULT_IVF_OPTIONS,
  minEntries: 4096,
  retrainFactor: 2,
  seed: 0x5eed,
};

export interface SearchOptions {
  topK: number;
  minScore?: number;
  /** Entries with expiresAt <= now are invisible. */
  now: number;
  /** Scan everything (the reference for recall measurements). */
  exact?: boolean;
}

/**
 * One namespace's entries in memory: vectors in a slab, ids/metadata/expiry by slot, and an IVF
 * index once there are enough entries. Pure: no I/O, no clock; the Redis sync feeds it.
 */
export class ReplicaStore {
  private readonly slab: VectorSlab;
  private readonly slotOf = new Map<string, number>();
  private readonly ids: (string | undefined)[] = [];
  private readonly metadata: (VectorMetadata | undefined)[] = [];
  private expiresAt: Float64Array;
  private ivf: IvfIndex | undefined;
  private readonly rng: Rng;
  /** Milliseconds the last index build took (0 if none yet). */
  lastBuildMs = 0;

  constructor(
    readonly dims: number,
    private readonly ann: AnnOptions = DEFAULT_ANN_OPTIONS,
    initialCapacity = 1024,
  ) {
    this.slab = new VectorSlab(dims, initialCapacity);
    this.expiresAt = new Float64Array(initialCapacity);
    this.slab.onGrow = (capacity) => {
      const grown = new Float64Array(capacity);
      grown.set(this.expiresAt);
      this.expiresAt = grown;
    };
    this.rng = createRng(ann.seed);
  }

  get size(): number {
    return this.slab.size;
  }

  get indexed(): boolean {
    return this.ivf !== undefined;
  }

  /** Entry count the current index was trained on (undefined without an index). */
  get trainedSize(): number | undefined {
    return this.ivf?.trainedSize;
  }

  /** Bytes held in typed arrays (vectors, expiry, index); ids and metadata objects are extra. */
  get typedArrayBytes(): number {
    return this.slab.byteLength + this.expiresAt.byteLength + (this.ivf?.byteLength ?? 0);
  }

  /** Inserts or replaces; `vector` is a Float32Array or its little-endian bytes. */
  put(
    id: string,
    vector: Float32Array | Uint8Array,
    metadata: VectorMetadata,
    expiresAt: number,
  ): void {
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      slot = this.slab.allocate();
      this.slotOf.set(id, slot);
      this.ids[slot] = id;
    }
    if (vector instanceof Float32Array) this.slab.write(slot, vector);
    else this.slab.writeBytes(slot, vector);
    this.metadata[slot] = metadata;
    this.expiresAt[slot] = expiresAt;
    this.ivf?.assign(slot);
  }

  remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.ivf?.remove(slot);
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.metadata[slot] = undefined;
    this.slab.release(slot);
    return true;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  /** (Re)builds or drops the index when the entry count has moved far enough; call after a batch. */
  maintain(): void {
    const n = this.slab.size;
    if (this.ivf && n < this.ann.minEntries / 2) {
      this.ivf = undefined;
      return;
    }
    if (n < this.ann.minEntries) return;
    const trained = this.ivf?.trainedSize;
    const factor = this.ann.retrainFactor;
    if (trained !== undefined && n <= trained * factor && n >= trained / factor) return;
    const started = performance.now();
    const slots = new Int32Array(n);
    let i = 0;
    for (const slot of this.slotOf.values()) slots[i++] = slot;
    this.ivf = IvfIndex.train(this.slab, slots, this.ann, this.rng);
    this.lastBuildMs = performance.now() - started;
  }

  search(query: Float32Array, options: SearchOptions): VectorMatch[] {
    const top = new TopK(Math.max(0, Math.floor(options.topK)));
    const { now } = options;
    const accept = (slot: number) => this.expiresAt[slot]! > now;
    if (this.ivf && !options.exact) this.ivf.search(query, top, accept);
    else exactSearch(this.slab, query, top, accept);
    const matches: VectorMatch[] = [];
    const minScore = options.minScore ?? Number.NEGATIVE_INFINITY;
    for (let i = 0; i < top.size; i++) {
      // Float rounding can put a self-match at 1.0000001; the port promises [-1, 1].
      const score = Math.max(-1, Math.min(1, top.scores[i]!));
      if (score < minScore) break;
      const slot = top.slots[i]!;
      matches.push({ id: this.ids[slot]!, score, metadata: this.metadata[slot]! });
    }
    return matches;
  }

  clear(): void {
    for (const id of [...this.slotOf.keys()]) this.remove(id);
    this.ivf = undefined;
  }
}
