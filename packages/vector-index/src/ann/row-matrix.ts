import { simdDotModule, type DotsKernel } from './simd-dot.wasm';
import { dot } from './vector-math';

const PAGE = 65_536;
/** Rows scored per kernel call; the ids and scores scratch areas hold this many. */
export const SCORE_CHUNK = 4096;

/**
 * Rows of `dims` float32s in one WebAssembly.Memory, scored against a query by the SIMD kernel
 * (`simd-dot.wasm.ts`), or by the JS `dot` where WebAssembly SIMD is unavailable.
 *
 * Layout: [query | ids scratch | scores scratch | rows…]. The rows come last so that growing
 * the memory extends them in place (no copy of the vectors, no transient second array). Growing
 * detaches the previous ArrayBuffer, so always read `rows` afresh after `ensureRows`.
 */
export class RowMatrix {
  /** The rows, `capacity · dims` floats; replaced (old view detached) when the memory grows. */
  rows!: Float32Array;
  /** Scores written by `scoreChunk`, index-aligned with the ids passed in. */
  scores!: Float32Array;
  private f32!: Float32Array;
  private i32!: Int32Array;
  private readonly memory: WebAssembly.Memory | undefined;
  private readonly dots: DotsKernel;
  private readonly queryAt = 0;
  private readonly idsAt: number;
  private readonly scoresAt: number;
  private readonly rowsAt: number;
  private capacity = 0;

  constructor(
    readonly dims: number,
    initialRows: number,
    useSimd = true,
  ) {
    this.idsAt = align16(dims * 4);
    this.scoresAt = this.idsAt + SCORE_CHUNK * 4;
    this.rowsAt = this.scoresAt + SCORE_CHUNK * 4;
    const module = useSimd ? simdDotModule() : null;
    if (module) {
      const memory = new WebAssembly.Memory({ initial: pagesFor(this.rowsAt) });
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      this.memory = memory;
      this.dots = instance.exports.dots as DotsKernel;
    } else {
      this.dots = (data, query, ids, n, d, out) => this.jsDots(data, query, ids, n, d, out);
    }
    this.ensureRows(initialRows);
  }

  /** True when the WebAssembly SIMD kernel is in use. */
  get simd(): boolean {
    return this.memory !== undefined;
  }

  get byteLength(): number {
    return this.f32.byteLength;
  }

  /** Makes room for at least `min` rows; existing rows are kept. */
  ensureRows(min: number): void {
    if (min <= this.capacity && this.rows !== undefined) return;
    const bytes = this.rowsAt + min * this.dims * 4;
    let buffer: ArrayBuffer;
    if (this.memory) {
      const have = this.memory.buffer.byteLength;
      if (bytes > have) this.memory.grow(pagesFor(bytes) - have / PAGE);
      buffer = this.memory.buffer;
    } else {
      buffer = new ArrayBuffer(bytes);
      if (this.f32) new Float32Array(buffer).set(this.f32);
    }
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.capacity = Math.floor((buffer.byteLength - this.rowsAt) / (this.dims * 4));
    this.rows = new Float32Array(buffer, this.rowsAt, this.capacity * this.dims);
    this.scores = new Float32Array(buffer, this.scoresAt, SCORE_CHUNK);
  }

  /** Sets the vector the following `scoreChunk` calls score against. */
  setQuery(query: Float32Array): void {
    this.f32.set(query.subarray(0, this.dims), this.queryAt / 4);
  }

  /**
   * Scores rows `ids[from…from+count)` (count ≤ SCORE_CHUNK) against the query into
   * `scores[0…count)`, in float32 (good to ~1e-6 on unit vectors; rerank with `dot` if exactness
   * matters).
   */
  scoreChunk(ids: Int32Array, from: number, count: number): void {
    this.i32.set(ids.subarray(from, from + count), this.idsAt / 4);
    this.dots(this.rowsAt, this.queryAt, this.idsAt, count, this.dims, this.scoresAt);
  }

  /** The fallback kernel: same contract, the JS `dot` on the same buffer. */
  private jsDots(data: number, query: number, ids: number, n: number, d: number, out: number) {
    const f32 = this.f32;
    for (let i = 0; i < n; i++) {
      const row = data / 4 + this.i32[ids / 4 + i]! * d;
      f32[out / 4 + i] = dot(f32, row, f32, query / 4, d);
    }
  }
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

function pagesFor(bytes: number): number {
  return Math.ceil(bytes / PAGE);
}
