import { describe, expect, it } from 'vitest';
import { cosine, embedText, fromBase64, toBase64 } from './embedding';

const model = 'text-embedding-3-small';
const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('embedText', () => {
  it('is deterministic, unit-length and sized as asked', () => {
    const a = embedText('The cat sat on the mat', model, 1536);
    expect(a).toHaveLength(1536);
    expect(norm(a)).toBeCloseTo(1, 5);
    expect(embedText('The cat sat on the mat', model, 1536)).toEqual(a);
  });

  it('gives similar texts a higher cosine than unrelated ones', () => {
    const a = embedText('The cat sat on the mat', model, 1536);
    const similar = embedText('A cat was sitting on the mat', model, 1536);
    const unrelated = embedText('Quarterly revenue grew in European markets', model, 1536);
    expect(cosine(a, similar)).toBeGreaterThan(0.5);
    expect(cosine(a, unrelated)).toBeLessThan(0.2);
    expect(
      cosine(
        embedText('How do I reset my password?', model, 1536),
        embedText('how do i reset my password', model, 1536),
      ),
    ).toBeGreaterThan(0.95);
  });

  it('shortened vectors are the renormalised prefix of the full one (dimensions)', () => {
    const full = embedText('hello world', model, 1536);
    const short = embedText('hello world', model, 256);
    const prefix = full.slice(0, 256);
    const n = norm(prefix);
    short.forEach((v, i) => expect(v).toBeCloseTo((prefix[i] ?? 0) / n, 5));
  });

  it('differs per model', () => {
    expect(
      cosine(
        embedText('hello', 'text-embedding-3-small', 64),
        embedText('hello', 'text-embedding-3-large', 64),
      ),
    ).toBeLessThan(0.9);
  });

  it('handles text with no word characters', () => {
    expect(norm(embedText('!!! ???', model, 32))).toBeCloseTo(1, 5);
  });
});

describe('base64 encoding', () => {
  it('round-trips little-endian float32', () => {
    const v = embedText('round trip', model, 16);
    expect(fromBase64(toBase64(v))).toEqual(v);
    expect(Buffer.from(toBase64(v), 'base64')).toHaveLength(64);
  });
});
