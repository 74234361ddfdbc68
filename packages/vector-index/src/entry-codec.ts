import type { VectorMetadata } from '@asahi/stages';

/**
 * The Redis value of one entry: a 16-byte header (format version, dimensions, expiresAt as a
 * float64 of epoch ms), the vector as little-endian float32, then the metadata as UTF-8 JSON.
 * Binary keeps a 512-d vector at 2 KiB instead of ~10 KiB of JSON, and lets a replica copy the
 * bytes straight into its slab.
 */
const VERSION = 1;
const HEADER_BYTES = 16;

export interface DecodedEntry {
  vectorBytes: Uint8Array;
  metadata: VectorMetadata;
  expiresAt: number;
}

export function encodeEntry(
  vector: Float32Array,
  metadata: VectorMetadata,
  expiresAt: number,
): Buffer {
  const vectorBytes = vector.length * 4;
  const json = Buffer.from(JSON.stringify(metadata), 'utf8');
  const out = Buffer.allocUnsafe(HEADER_BYTES + vectorBytes + json.length);
  out.writeUInt32LE(VERSION, 0);
  out.writeUInt32LE(vector.length, 4);
  out.writeDoubleLE(expiresAt, 8);
  for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i]!, HEADER_BYTES + i * 4);
  json.copy(out, HEADER_BYTES + vectorBytes);
  return out;
}

/** Returns undefined for a value written in another format or dimension (skipped, not fatal). */
export function decodeEntry(value: Buffer, dims: number): DecodedEntry | undefined {
  if (value.length < HEADER_BYTES + dims * 4) return undefined;
  if (value.readUInt32LE(0) !== VERSION || value.readUInt32LE(4) !== dims) return undefined;
  const end = HEADER_BYTES + dims * 4;
  return {
    vectorBytes: value.subarray(HEADER_BYTES, end),
    metadata: JSON.parse(value.toString('utf8', end)) as VectorMetadata,
    expiresAt: value.readDoubleLE(8),
  };
}
