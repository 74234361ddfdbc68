import type { VectorMatch, VectorMetadata } from '@asahi/stages';
import { DEFAULT_IVF_OPTIONS, exactSearch, IvfIndex, type IvfOptions } from './ann/ivf-index';
import { createRng, type Rng } from './ann/rng';
import { runInSlices, yieldToLoop, type SliceControl } from './ann/time-slices';
import { TopK } from './ann/top-k';
import { VectorSlab } from './ann/vector-slab';
import { dot } from './ann/vector-math';

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

/** Rows of one slice of an unindexed scan (≈ 2.5 ms at 512 dimensions). */
const EXACT_SLICE = 8192;
/** Estimated heap per entry beyond typed arrays: the id string, metadata object, map entry. */
const OBJECT_BYTES_PER_ENTRY = 200;

interface Build extends SliceControl {
  done: Promise<void>;
  /** Slots written or released since the build's snapshot; re-filed before the index is used. */
  dirty: Set<number>;
}

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
 * index once there are enough entries. No I/O, no clock; the Redis sync feeds it.
 *
 * The index is (re)built in the background, in slices of a few ms between which the event loop
 * runs (a build takes seconds at 100k × 512 and must not stall queries or their time budgets).
 * Until the first build is done, queries scan exactly (`searchUnblocking` in slices too); during
 * a retrain the previous index keeps serving, updated write by write as always.
 */
export class ReplicaStore {
  private readonly slab: VectorSlab;
  private readonly slotOf = new Map<string, number>();
  private readonly ids: (string | undefined)[] = [];
  private readonly metadata: (VectorMetadata | undefined)[] = [];
  private expiresAt: Float64Array;
  private ivf: IvfIndex | undefined;
  private build: Build | undefined;
  private disposed = false;
  private readonly rng: Rng;
  /** Wall-clock milliseconds the last index build took, pauses included (0 if none yet). */
  lastBuildMs = 0;
  /** What made the last background build fail, if one did (kept for diagnosis). */
  lastBuildError: unknown;

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

  /** An index build is running in the background. */
  get building(): boolean {
    return this.build !== undefined;
  }

  /** Entry count the current index was trained on (undefined without an index). */
  get trainedSize(): number | undefined {
    return this.ivf?.trainedSize;
  }

  /** Bytes held in typed arrays (vectors, expiry, index); ids and metadata objects are extra. */
  get typedArrayBytes(): number {
    return this.slab.byteLength + this.expiresAt.byteLength + (this.ivf?.byteLength ?? 0);
  }

  /** Estimated memory of this replica: typed arrays plus ids and metadata objects. */
  get approxBytes(): number {
    return this.typedArrayBytes + this.slab.size * OBJECT_BYTES_PER_ENTRY;
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
    this.build?.dirty.add(slot);
  }

  remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.ivf?.remove(slot);
    this.build?.dirty.add(slot);
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.metadata[slot] = undefined;
    this.slab.release(slot);
    return true;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  /**
   * Starts a background (re)build, or drops the index, when the entry count has moved far enough;
   * call after a batch of changes. Returns at once; `whenIndexed` waits for the build.
   */
  maintain(): void {
    const n = this.slab.size;
    if (n < this.ann.minEntries / 2) {
      this.cancelBuild();
      this.ivf = undefined;
      return;
    }
    if (n < this.ann.minEntries || this.build || this.disposed) return;
    const trained = this.ivf?.trainedSize;
    const factor = this.ann.retrainFactor;
    if (trained !== undefined && n <= trained * factor && n >= trained / factor) return;
    const build: Build = { cancelled: false, dirty: new Set(), done: Promise.resolve() };
    this.build = build;
    build.done = this.runBuild(build);
  }

  /** Resolves when no index build is pending (at once when none is). */
  async whenIndexed(): Promise<void> {
    while (this.build) await this.build.done;
  }

  /** Stops any background build and starts none again; call when the replica is dropped. */
  dispose(): void {
    this.disposed = true;
    this.cancelBuild();
  }

  private async runBuild(build: Build): Promise<void> {
    const started = performance.now();
    const slots = new Int32Array(this.slab.size);
    let i = 0;
    for (const slot of this.slotOf.values()) slots[i++] = slot;
    const steps = IvfIndex.trainSteps(this.slab, slots, this.ann, this.rng);
    let built: IvfIndex | undefined;
    try {
      built = await runInSlices(steps, build);
    } catch (err) {
      // Queries go on with the previous index or an exact scan; the next maintain() retries.
      this.lastBuildError = err;
      if (this.build === build) this.build = undefined;
      return;
    }
    if (this.build !== build) return; // cancelled (dropped, shrunk or cleared) meanwhile
    this.build = undefined;
    if (!built) return;
    // Writes that landed while the build paused: file them as they are now.
    for (const slot of build.dirty) {
      if (this.slab.live[slot] === 1) built.assign(slot);
      else built.remove(slot);
    }
    this.ivf = built;
    this.lastBuildMs = performance.now() - started;
    this.maintain(); // the count may have moved past the factor again during the build
  }

  private cancelBuild(): void {
    if (this.build) this.build.cancelled = true;
    this.build = undefined;
  }

  search(query: Float32Array, options: SearchOptions): VectorMatch[] {
    const top = new TopK(Math.max(0, Math.floor(options.topK)));
    const accept = this.acceptAt(options.now);
    if (this.ivf && !options.exact) this.ivf.search(query, top, accept);
    else exactSearch(this.slab, query, top, accept);
    return this.matchesOf(top, options.minScore);
  }

  /**
   * `search`, except that an unindexed scan of many entries (cold replica, first build running)
   * runs in slices with the event loop free between them. Entries may change between slices, so
   * the candidates found are rescored as they are at the end (a released slot drops out).
   */
  searchUnblocking(
    query: Float32Array,
    options: SearchOptions,
  ): VectorMatch[] | Promise<VectorMatch[]> {
    if ((this.ivf && !options.exact) || this.slab.highWater <= EXACT_SLICE)
      return this.search(query, options);
    return this.searchInSlices(query, options);
  }

  private async searchInSlices(query: Float32Array, options: SearchOptions) {
    const k = Math.max(0, Math.floor(options.topK));
    const candidates = new TopK(k);
    const accept = this.acceptAt(options.now);
    for (let from = 0; from < this.slab.highWater; from += EXACT_SLICE) {
      if (from > 0) await yieldToLoop();
      exactSearch(this.slab, query, candidates, accept, from, from + EXACT_SLICE);
    }
    const top = new TopK(k);
    const { dims, data, live } = this.slab;
    for (let i = 0; i < candidates.size; i++) {
      const slot = candidates.slots[i]!;
      if (live[slot] === 1 && accept(slot)) top.push(slot, dot(query, 0, data, slot * dims, dims));
    }
    return this.matchesOf(top, options.minScore);
  }

  private acceptAt(now: number) {
    return (slot: number) => this.expiresAt[slot]! > now;
  }

  private matchesOf(top: TopK, minScore = Number.NEGATIVE_INFINITY): VectorMatch[] {
    const matches: VectorMatch[] = [];
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
    this.cancelBuild();
    for (const id of [...this.slotOf.keys()]) this.remove(id);
    this.ivf = undefined;
  }
}
