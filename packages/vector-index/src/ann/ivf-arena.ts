import {
  createSimdDots,
  type Dots8Kernel,
  type DotsKernel,
  type WasmMemory,
} from './simd-dot.wasm';
import { dot } from './vector-math';

const PAGE = 65_536;
/** Rows scored per kernel call (the size of the scores scratch area). */
export const SCORE_CHUNK = 4096;

/**
 * The scan side of an IVF index, in one WebAssembly memory so the SIMD kernels can read it:
 * the leaf centroids (float32) and, per list, an int8 copy of its vectors stored back to back.
 *
 * Why int8 and per list: the slab is in slot order, so a list's vectors are scattered over
 * ~200 MB and a scan of 2,500 rows is bound by cache and TLB misses (measured ~7x slower than
 * the same rows read in order). An int8 row (dims bytes + a float32 scale) in list order is
 * read sequentially and is a quarter of the bytes; its approximate score (≈ ±0.005 on unit
 * vectors) only picks a shortlist, which the index rescores exactly from the slab.
 *
 * Layout: [f32 query | i8 query | scores | leaf ids | leaves | code rows…]; the code rows come
 * last so growing the memory extends them in place. Each list owns a block of rows; a full list
 * moves to a block twice its size at the end, and the holes left are compacted away before the
 * memory is grown.
 */
export class IvfArena {
  /** Approximate scores written by `scoreLeaves` / `scoreList`, aligned with the rows scored. */
  readonly scores: Float32Array;
  readonly codeBytes: number;
  private buffer!: ArrayBuffer;
  private f32!: Float32Array;
  private i32!: Int32Array;
  private i8!: Int8Array;
  private u8!: Uint8Array;
  private readonly memory: WasmMemory | undefined;
  private readonly dots: DotsKernel;
  private readonly dots8: Dots8Kernel;
  private readonly at: { q8: number; out: number; ids: number; leaves: number; rows: number };
  private queryScale = 0;
  private rowScale: Float32Array;
  private readonly start: Int32Array;
  private readonly cap: Int32Array;
  private readonly size: Int32Array;
  private top = 0;
  private holes = 0;
  private rowCapacity = 0;

  constructor(
    readonly dims: number,
    leaves: Float32Array,
    readonly leafCount: number,
    capacities: Int32Array,
    useSimd = true,
  ) {
    this.codeBytes = Math.ceil(dims / 16) * 16;
    const q8 = align16(dims * 4);
    const out = q8 + this.codeBytes;
    const ids = out + SCORE_CHUNK * 4;
    const leavesAt = align16(ids + leafCount * 4);
    const rows = align16(leavesAt + leafCount * dims * 4);
    this.at = { q8, out, ids, leaves: leavesAt, rows };
    let total = 0;
    this.start = new Int32Array(leafCount);
    this.cap = Int32Array.from(capacities);
    this.size = new Int32Array(leafCount);
    for (let l = 0; l < leafCount; l++) {
      this.start[l] = total;
      total += this.cap[l]!;
    }
    this.top = total;
    this.rowScale = new Float32Array(total);
    const kernel = useSimd ? createSimdDots(pagesFor(rows + total * this.codeBytes)) : null;
    this.memory = kernel?.memory;
    this.dots = kernel?.dots ?? ((...a) => this.jsDots(...a));
    this.dots8 = kernel?.dots8 ?? ((...a) => this.jsDots8(...a));
    this.resize(rows + total * this.codeBytes);
    this.f32.set(leaves.subarray(0, leafCount * dims), leavesAt / 4);
    for (let l = 0; l < leafCount; l++) this.i32[ids / 4 + l] = l;
    this.scores = new Float32Array(SCORE_CHUNK);
  }

  /** True when the WebAssembly SIMD kernels are in use (else the JS fallback). */
  get simd(): boolean {
    return this.memory !== undefined;
  }

  get byteLength(): number {
    return this.buffer.byteLength + this.rowScale.byteLength + 12 * this.leafCount;
  }

  /** Loads the query for the following `scoreLeaves` / `scoreList` calls (float32 and int8). */
  setQuery(query: Float32Array): void {
    this.f32.set(query.subarray(0, this.dims), 0);
    this.queryScale = quantize(query, 0, this.dims, this.i8, this.at.q8);
  }

  /** Exact float32 scores of every leaf centroid into `scores[0…leafCount)`. */
  scoreLeaves(): void {
    const { at } = this;
    this.dots(at.leaves, 0, at.ids, this.leafCount, this.dims, at.out);
    this.scores.set(this.f32.subarray(at.out / 4, at.out / 4 + this.leafCount));
  }

  /** Approximate scores of rows [from, from+count) of `list` (count ≤ SCORE_CHUNK) into `scores`. */
  scoreList(list: number, from: number, count: number): void {
    const row = this.start[list]! + from;
    const { at, codeBytes } = this;
    this.dots8(at.rows + row * codeBytes, at.q8, count, codeBytes, at.out);
    const raw = this.i32;
    const base = at.out / 4;
    const scale = this.rowScale;
    const qs = this.queryScale;
    for (let i = 0; i < count; i++) this.scores[i] = raw[base + i]! * scale[row + i]! * qs;
  }

  /** Quantizes the vector at `data[off]` into row `pos` of `list` (pos ≤ its current size). */
  write(list: number, pos: number, data: Float32Array, off: number): void {
    if (pos >= this.cap[list]!) this.relocate(list, pos + 1);
    const row = this.start[list]! + pos;
    this.rowScale[row] = quantize(
      data,
      off,
      this.dims,
      this.i8,
      this.at.rows + row * this.codeBytes,
    );
    if (pos >= this.size[list]!) this.size[list] = pos + 1;
  }

  /** Swap-remove support: row `from` of `list` replaces row `to`, and the list shrinks by one. */
  moveAndShrink(list: number, from: number, to: number): void {
    const s = this.start[list]!;
    if (from !== to) {
      const src = this.at.rows + (s + from) * this.codeBytes;
      this.u8.copyWithin(this.at.rows + (s + to) * this.codeBytes, src, src + this.codeBytes);
      this.rowScale[s + to] = this.rowScale[s + from]!;
    }
    this.size[list] = Math.min(this.size[list]!, from);
  }

  private relocate(list: number, need: number): void {
    const cap = Math.max(need, this.cap[list]! * 2, 8);
    if (this.top + cap > this.rowCapacity && this.holes > (this.top - this.holes) / 2) {
      this.compact();
    }
    if (this.top + cap > this.rowCapacity) {
      this.resize(this.at.rows + Math.ceil((this.top + cap) * 1.5) * this.codeBytes);
    }
    const from = this.at.rows + this.start[list]! * this.codeBytes;
    const n = this.size[list]!;
    this.u8.copyWithin(this.at.rows + this.top * this.codeBytes, from, from + n * this.codeBytes);
    this.rowScale.copyWithin(this.top, this.start[list]!, this.start[list]! + n);
    this.holes += this.cap[list]!;
    this.start[list] = this.top;
    this.cap[list] = cap;
    this.top += cap;
  }

  /** Slides every block down over the holes, in address order (a block never overtakes the next). */
  private compact(): void {
    const order = Int32Array.from({ length: this.leafCount }, (_, l) => l).sort(
      (a, b) => this.start[a]! - this.start[b]!,
    );
    let cursor = 0;
    for (const l of order) {
      const n = this.size[l]!;
      const from = this.at.rows + this.start[l]! * this.codeBytes;
      this.u8.copyWithin(this.at.rows + cursor * this.codeBytes, from, from + n * this.codeBytes);
      this.rowScale.copyWithin(cursor, this.start[l]!, this.start[l]! + n);
      this.start[l] = cursor;
      cursor += this.cap[l]!;
    }
    this.top = cursor;
    this.holes = 0;
  }

  private resize(bytes: number): void {
    if (this.memory) {
      const have = this.memory.buffer.byteLength;
      if (bytes > have) this.memory.grow(pagesFor(bytes) - have / PAGE);
      this.buffer = this.memory.buffer;
    } else if (!this.buffer || bytes > this.buffer.byteLength) {
      const next = new ArrayBuffer(pagesFor(bytes) * PAGE);
      if (this.buffer) new Uint8Array(next).set(new Uint8Array(this.buffer));
      this.buffer = next;
    }
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.i8 = new Int8Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.rowCapacity = Math.floor((this.buffer.byteLength - this.at.rows) / this.codeBytes);
    if (this.rowScale.length < this.rowCapacity) {
      const grown = new Float32Array(this.rowCapacity);
      grown.set(this.rowScale);
      this.rowScale = grown;
    }
  }

  /** Fallback for `dots` (float32 rows by id), on the same buffer. */
  private jsDots(data: number, query: number, ids: number, n: number, d: number, out: number) {
    for (let i = 0; i < n; i++) {
      const row = data / 4 + this.i32[ids / 4 + i]! * d;
      this.f32[out / 4 + i] = dot(this.f32, row, this.f32, query / 4, d);
    }
  }

  /** Fallback for `dots8` (int8 rows back to back), on the same buffer. */
  private jsDots8(codes: number, query: number, n: number, rowBytes: number, out: number) {
    const i8 = this.i8;
    for (let i = 0; i < n; i++) {
      const row = codes + i * rowBytes;
      let s = 0;
      for (let j = 0; j < rowBytes; j++) s += i8[row + j]! * i8[query + j]!;
      this.i32[out / 4 + i] = s;
    }
  }
}

/**
 * Writes round(v · 127 / max|v|) as int8 at `to` (padding bytes stay zero) and returns the scale
 * that maps an int8 dot product back: v·w ≈ dot8 · scale(v) · scale(w).
 */
export function quantize(
  v: Float32Array,
  off: number,
  dims: number,
  out: Int8Array,
  to: number,
): number {
  let max = 0;
  for (let j = 0; j < dims; j++) max = Math.max(max, Math.abs(v[off + j]!));
  if (max === 0) {
    out.fill(0, to, to + dims);
    return 0;
  }
  const k = 127 / max;
  for (let j = 0; j < dims; j++) out[to + j] = Math.round(v[off + j]! * k);
  return max / 127;
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

function pagesFor(bytes: number): number {
  return Math.ceil(bytes / PAGE);
}
