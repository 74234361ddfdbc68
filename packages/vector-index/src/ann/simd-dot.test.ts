import { describe, expect, it } from 'vitest';
import { IvfArena, quantize } from './ivf-arena';
import { createRng, type Rng } from './rng';
import { createSimdDots, SIMD_DOT_WASM, simdDotSupported } from './simd-dot.wasm';
import { uniformUnitVectors } from './synthetic-vectors';
import { dot } from './vector-math';

const gaussians = (n: number, rng: Rng) => Float32Array.from({ length: n }, () => rng.gaussian());

describe('the hand-assembled SIMD module', () => {
  it('is WebAssembly that this runtime validates and supports', () => {
    expect(Array.from(SIMD_DOT_WASM.subarray(0, 4))).toEqual([0, 0x61, 0x73, 0x6d]);
    expect(simdDotSupported()).toBe(true);
  });

  it.each([1, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 64, 100, 511, 512])(
    'dots: float32 rows picked by id agree with the JS dot to 1e-5 over %i dimensions',
    (dims) => {
      const rng = createRng(dims);
      const rows = 37;
      const kernel = createSimdDots(8)!;
      const f32 = new Float32Array(kernel.memory.buffer);
      const i32 = new Int32Array(kernel.memory.buffer);
      const [query, ids, out, data] = [0, 4096, 8192, 16384]; // byte offsets
      const q = uniformUnitVectors(1, dims, rng);
      const m = uniformUnitVectors(rows, dims, rng);
      f32.set(q, query / 4);
      f32.set(m, data / 4);
      const order = Int32Array.from({ length: rows }, (_, i) => (i * 11) % rows); // any order
      i32.set(order, ids / 4);
      kernel.dots(data, query, ids, rows, dims, out);
      order.forEach((row, i) => {
        const expected = dot(q, 0, m, row * dims, dims);
        expect(Math.abs(f32[out / 4 + i]! - expected)).toBeLessThan(1e-5);
      });
    },
  );

  it.each([16, 32, 48, 512])(
    'dots8: int8 rows back to back give the exact integer sum (%i B)',
    (bytes) => {
      const rng = createRng(bytes);
      const kernel = createSimdDots(2)!;
      const i8 = new Int8Array(kernel.memory.buffer);
      const i32 = new Int32Array(kernel.memory.buffer);
      const [query, out, codes, rows] = [0, 1024, 4096, 9];
      for (let j = 0; j < bytes * (rows + 1); j++)
        i8[j < bytes ? query + j : codes + j - bytes] = rng.int(255) - 127;
      kernel.dots8(codes, query, rows, bytes, out);
      for (let r = 0; r < rows; r++) {
        let expected = 0;
        for (let j = 0; j < bytes; j++) expected += i8[query + j]! * i8[codes + r * bytes + j]!;
        expect(i32[out / 4 + r]).toBe(expected);
      }
    },
  );

  it('writes nothing when asked for zero rows', () => {
    const kernel = createSimdDots(1)!;
    const f32 = new Float32Array(kernel.memory.buffer);
    f32[100] = 42;
    kernel.dots(1024, 0, 512, 0, 8, 400);
    kernel.dots8(1024, 0, 0, 16, 400);
    expect(f32[100]).toBe(42);
  });
});

describe('quantize', () => {
  it('approximates dot products of 512-d unit vectors to within 0.01', () => {
    const rng = createRng(5);
    const a = uniformUnitVectors(1, 512, rng);
    const codes = new Int8Array(1024);
    for (let t = 0; t < 50; t++) {
      const b = uniformUnitVectors(1, 512, rng);
      const sa = quantize(a, 0, 512, codes, 0);
      const sb = quantize(b, 0, 512, codes, 512);
      let d8 = 0;
      for (let j = 0; j < 512; j++) d8 += codes[j]! * codes[512 + j]!;
      expect(Math.abs(d8 * sa * sb - dot(a, 0, b, 0, 512))).toBeLessThan(0.01);
    }
  });

  it('maps a zero vector to zero codes and a zero scale', () => {
    const codes = new Int8Array(4).fill(9);
    expect(quantize(new Float32Array(4), 0, 4, codes, 0)).toBe(0);
    expect(Array.from(codes)).toEqual([0, 0, 0, 0]);
  });
});

describe.each([true, false])('IvfArena (SIMD: %s)', (useSimd) => {
  const dims = 21; // not a multiple of 4 or 16: exercises the tails and code padding
  const rng = createRng(99);

  it('scores leaves exactly (float32) and reports whether SIMD is in use', () => {
    const leaves = uniformUnitVectors(5, dims, rng);
    const arena = new IvfArena(dims, leaves, 5, Int32Array.of(1, 1, 1, 1, 1), useSimd);
    expect(arena.simd).toBe(useSimd);
    const q = gaussians(dims, rng);
    arena.setQuery(q);
    arena.scoreLeaves();
    for (let l = 0; l < 5; l++)
      expect(arena.scores[l]).toBeCloseTo(dot(leaves, l * dims, q, 0, dims), 5);
  });

  it('keeps every list intact through block moves, compaction and swap-removes', () => {
    const lists = 4;
    const arena = new IvfArena(
      dims,
      new Float32Array(lists * dims),
      lists,
      new Int32Array(lists).fill(1),
      useSimd,
    );
    const model: Float32Array[][] = Array.from({ length: lists }, () => []);
    for (let step = 0; step < 8000; step++) {
      const l = rng.int(lists);
      const rows = model[l]!;
      if (rows.length > 0 && rng.next() < 0.3) {
        const pos = rng.int(rows.length);
        arena.moveAndShrink(l, rows.length - 1, pos);
        rows[pos] = rows[rows.length - 1]!;
        rows.pop();
      } else {
        const v = uniformUnitVectors(1, dims, rng);
        arena.write(l, rows.length, v, 0);
        rows.push(v);
      }
    }
    const q = uniformUnitVectors(1, dims, rng);
    arena.setQuery(q);
    model.forEach((rows, l) => {
      arena.scoreList(l, 0, rows.length);
      rows.forEach((v, i) =>
        expect(Math.abs(arena.scores[i]! - dot(q, 0, v, 0, dims))).toBeLessThan(0.03),
      );
    });
  });
});
