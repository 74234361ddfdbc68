/**
 * A hand-assembled WebAssembly module (no toolchain, nothing fetched) with two SIMD kernels:
 *
 *   dots(data, query, ids, n, dims, out)   all i32, pointers are byte offsets into memory
 *     for i in [0, n): out[i] = Σ_j data[ids[i]·dims + j] · query[j]      (f32)
 *   dots8(codes, query, n, rowBytes, out)  int8 rows stored back to back, rowBytes % 16 = 0
 *     for i in [0, n): out[i] = Σ_j codes[i·rowBytes + j] · query[j]     (i32)
 *
 * It imports its memory (`env.memory`), so each matrix owns a WebAssembly.Memory that grows in
 * place. V8 does not vectorise JavaScript; f32x4 multiply-adds with two accumulators score a
 * 512-d row several times faster than the unrolled JS `dot`. Accumulation is in float32, so
 * callers rerank their shortlist with the exact (float64) JS `dot`.
 */

// Value types and the few opcodes used, named so the body below reads like the text format.
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const VOID = 0x40;
const op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  f32Add: 0x92,
  f32Mul: 0x94,
} as const;
const simd = {
  load: [0xfd, 0x00],
  const: [0xfd, 0x0c],
  extractLane: [0xfd, 0x1f],
  i32ExtractLane: [0xfd, 0x1b],
  extendLowS: [0xfd, 0x87, 0x01],
  extendHighS: [0xfd, 0x88, 0x01],
  i32x4Add: [0xfd, 0xae, 0x01],
  dotI16: [0xfd, 0xba, 0x01],
  add: [0xfd, 0xe4, 0x01],
  mul: [0xfd, 0xe6, 0x01],
} as const;

// Locals: the six parameters, then scratch.
const [DATA, QUERY, IDS, N, DIMS, OUT] = [0, 1, 2, 3, 4, 5];
const [I, ROW, J, END8, END4, ROW_BYTES, ACC0, ACC1, SUM] = [6, 7, 8, 9, 10, 11, 12, 13, 14];

/** Unsigned LEB128 (section sizes, counts, memarg offsets). */
function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

const get = (l: number) => [op.get, l];
const set = (l: number) => [op.set, l];
const i32 = (v: number) => [op.i32Const, v & 0x7f]; // only small constants (-64..63) here
const v128Load = (offset: number) => [...simd.load, 4, ...uleb(offset)];
const zeroV128 = [...simd.const, ...new Array<number>(16).fill(0)];
const lane = (l: number) => [...get(ACC0), ...simd.extractLane, l];

/** acc = acc + row[j + offset] * query[j + offset] (four lanes). */
const madd = (acc: number, offset: number) => [
  ...get(acc),
  ...get(ROW),
  ...get(J),
  op.i32Add,
  ...v128Load(offset),
  ...get(QUERY),
  ...get(J),
  op.i32Add,
  ...v128Load(offset),
  ...simd.mul,
  ...simd.add,
  ...set(acc),
];

const body = [
  // Byte bounds: end8 = (dims & ~7)·4, end4 = (dims & ~3)·4, rowBytes = dims·4.
  ...[...get(DIMS), ...i32(-8), op.i32And, ...i32(2), op.i32Shl, ...set(END8)],
  ...[...get(DIMS), ...i32(-4), op.i32And, ...i32(2), op.i32Shl, ...set(END4)],
  ...[...get(DIMS), ...i32(2), op.i32Shl, ...set(ROW_BYTES)],
  ...[op.block, VOID, ...get(N), op.i32Eqz, op.brIf, 0],
  ...[op.loop, VOID],
  // row = data + ids[i]·rowBytes
  ...[...get(DATA), ...get(IDS), ...get(I), ...i32(2), op.i32Shl, op.i32Add],
  ...[op.i32Load, 2, 0, ...get(ROW_BYTES), op.i32Mul, op.i32Add, ...set(ROW)],
  ...[...zeroV128, ...set(ACC0), ...zeroV128, ...set(ACC1), ...i32(0), ...set(J)],
  // Eight floats per step into two accumulators (independent chains).
  ...[op.block, VOID, ...get(J), ...get(END8), op.i32GeU, op.brIf, 0, op.loop, VOID],
  ...madd(ACC0, 0),
  ...madd(ACC1, 16),
  ...[...get(J), ...i32(32), op.i32Add, op.tee, J, ...get(END8), op.i32LtU, op.brIf, 0],
  ...[op.end, op.end],
  // Four more when dims % 8 >= 4.
  ...[...get(J), ...get(END4), op.i32LtU, op.if, VOID],
  ...madd(ACC0, 0),
  ...[...get(J), ...i32(16), op.i32Add, ...set(J), op.end],
  // sum = horizontal sum of acc0 + acc1
  ...[...get(ACC0), ...get(ACC1), ...simd.add, ...set(ACC0)],
  ...[...lane(0), ...lane(1), op.f32Add, ...lane(2), op.f32Add, ...lane(3), op.f32Add, ...set(SUM)],
  // Scalar tail (dims % 4 floats).
  ...[op.block, VOID, ...get(J), ...get(ROW_BYTES), op.i32GeU, op.brIf, 0, op.loop, VOID],
  ...[...get(SUM), ...get(ROW), ...get(J), op.i32Add, op.f32Load, 2, 0],
  ...[...get(QUERY), ...get(J), op.i32Add, op.f32Load, 2, 0, op.f32Mul, op.f32Add, ...set(SUM)],
  ...[...get(J), ...i32(4), op.i32Add, op.tee, J, ...get(ROW_BYTES), op.i32LtU, op.brIf, 0],
  ...[op.end, op.end],
  // out[i] = sum; next row
  ...[...get(OUT), ...get(I), ...i32(2), op.i32Shl, op.i32Add, ...get(SUM), op.f32Store, 2, 0],
  ...[...get(I), ...i32(1), op.i32Add, op.tee, I, ...get(N), op.i32LtU, op.brIf, 0],
  ...[op.end, op.end, op.end],
];

const locals = [3, 6, I32, 2, V128, 1, F32];
const code = [...locals, ...body];

// dots8: parameters, then scratch.
const [CODES, Q8, N8, ROW8, OUT8] = [0, 1, 2, 3, 4];
const [I8, R8, J8, ACC8, A8, B8] = [5, 6, 7, 8, 9, 10];
/** acc += dot(extend(a), extend(b)) over one half (8 lanes → 4 pairwise i32 sums). */
const half8 = (extend: readonly number[]) => [
  ...get(A8),
  ...extend,
  ...get(B8),
  ...extend,
  ...simd.dotI16,
  ...simd.i32x4Add,
];
const lane8 = (l: number) => [...get(ACC8), ...simd.i32ExtractLane, l];
const body8 = [
  ...[op.block, VOID, ...get(N8), op.i32Eqz, op.brIf, 0, ...get(CODES), ...set(R8)],
  ...[op.loop, VOID, ...zeroV128, ...set(ACC8), ...i32(0), ...set(J8)],
  ...[op.block, VOID, ...get(J8), ...get(ROW8), op.i32GeU, op.brIf, 0, op.loop, VOID],
  ...[...get(R8), ...get(J8), op.i32Add, ...v128Load(0), ...set(A8)],
  ...[...get(Q8), ...get(J8), op.i32Add, ...v128Load(0), ...set(B8)],
  ...[...get(ACC8), ...half8(simd.extendLowS), ...half8(simd.extendHighS), ...set(ACC8)],
  ...[...get(J8), ...i32(16), op.i32Add, op.tee, J8, ...get(ROW8), op.i32LtU, op.brIf, 0],
  ...[op.end, op.end],
  ...[...get(OUT8), ...get(I8), ...i32(2), op.i32Shl, op.i32Add],
  ...[...lane8(0), ...lane8(1), op.i32Add, ...lane8(2), op.i32Add, ...lane8(3), op.i32Add],
  ...[op.i32Store, 2, 0, ...get(R8), ...get(ROW8), op.i32Add, ...set(R8)],
  ...[...get(I8), ...i32(1), op.i32Add, op.tee, I8, ...get(N8), op.i32LtU, op.brIf, 0],
  ...[op.end, op.end, op.end],
];
const code8 = [2, 3, I32, 3, V128, ...body8];

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}
const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

/** The module's bytes: type, import (memory), function, export and code sections. */
export const SIMD_DOT_WASM = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [2, 0x60, 6, I32, I32, I32, I32, I32, I32, 0, 0x60, 5, I32, I32, I32, I32, I32, 0]),
  ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]),
  ...section(3, [2, 0, 1]),
  ...section(7, [2, ...name('dots'), 0x00, 0, ...name('dots8'), 0x00, 1]),
  ...section(10, [2, ...uleb(code.length), ...code, ...uleb(code8.length), ...code8]),
]);

/** Signature of the exported kernel; every pointer is a byte offset into the memory. */
export type DotsKernel = (
  data: number,
  query: number,
  ids: number,
  n: number,
  dims: number,
  out: number,
) => void;

/** The slice of the WebAssembly API used here (the project's TS lib has no DOM typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Signature of `dots8`: int8 rows back to back, i32 results. */
export type Dots8Kernel = (
  codes: number,
  query: number,
  n: number,
  rowBytes: number,
  out: number,
) => void;

let compiled: object | null | undefined;

/** Whether this runtime accepts the module (WebAssembly with SIMD: Node ≥ 16.4). */
export function simdDotSupported(): boolean {
  compiled ??= wasm?.validate(SIMD_DOT_WASM) ? new wasm.Module(SIMD_DOT_WASM) : null;
  return compiled !== null;
}

/** A fresh memory of `pages` × 64 KiB with the kernel bound to it, or null without SIMD support. */
export function createSimdDots(
  pages: number,
): { memory: WasmMemory; dots: DotsKernel; dots8: Dots8Kernel } | null {
  if (!simdDotSupported() || !wasm) return null;
  const memory = new wasm.Memory({ initial: pages });
  const { exports } = new wasm.Instance(compiled!, { env: { memory } });
  return { memory, dots: exports.dots as DotsKernel, dots8: exports.dots8 as Dots8Kernel };
}
