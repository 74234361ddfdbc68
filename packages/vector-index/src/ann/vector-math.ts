/**
 * Dot product of `dims` floats at `a[aOff]` and `b[bOff]`. V8 does not vectorise; eight products
 * per step summed into two accumulators measured 1.5–2x faster than a plain or 4-way loop on 512
 * dimensions, so this shape is deliberate.
 */
export function dot(
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  dims: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let j = 0;
  const end8 = dims - (dims % 8);
  for (; j < end8; j += 8) {
    const x = aOff + j;
    const y = bOff + j;
    s0 += a[x]! * b[y]! + a[x + 1]! * b[y + 1]! + a[x + 2]! * b[y + 2]! + a[x + 3]! * b[y + 3]!;
    s1 +=
      a[x + 4]! * b[y + 4]! + a[x + 5]! * b[y + 5]! + a[x + 6]! * b[y + 6]! + a[x + 7]! * b[y + 7]!;
  }
  for (; j < dims; j++) s0 += a[aOff + j]! * b[bOff + j]!;
  return s0 + s1;
}

/** Scales `dims` floats at `v[off]` to unit length; a zero vector stays zero. */
export function normalizeAt(v: Float32Array, off: number, dims: number): void {
  let sum = 0;
  for (let j = 0; j < dims; j++) sum += v[off + j]! * v[off + j]!;
  if (sum === 0) return;
  const inv = 1 / Math.sqrt(sum);
  for (let j = 0; j < dims; j++) v[off + j]! *= inv;
}

export function normalize(v: Float32Array): Float32Array {
  normalizeAt(v, 0, v.length);
  return v;
}
