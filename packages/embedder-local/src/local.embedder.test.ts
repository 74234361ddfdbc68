import { beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '@asahi/stages';
import { createLocalEmbedder } from './local.embedder';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);

const texts = [
  'How do I learn to cook rice?',
  'How can I learn to cook rice?',
  'What is the capital of Peru?',
  'Best hiking trails near Denver',
  'Explain quantum entanglement simply',
];

let embedder: Embedder;

beforeAll(async () => {
  embedder = await createLocalEmbedder({ batchSize: 2 });
});

describe('createLocalEmbedder (Universal Sentence Encoder Lite, offline)', () => {
  it('returns one 512-dimensional unit vector per text', async () => {
    const vectors = await embedder.embed(texts);
    expect(embedder.dimensions).toBe(512);
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(512);
      expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    }
  });

  it('gives the same vector to a text whether batched or alone', async () => {
    const batched = await embedder.embed(texts);
    const alone = await Promise.all(texts.map(async (t) => (await embedder.embed([t]))[0]));
    batched.forEach((v, i) => expect(dot(v, alone[i] as Float32Array)).toBeCloseTo(1, 4));
  });

  it('places a rewording closer than an unrelated question', async () => {
    const [a, b, c] = (await embedder.embed(texts.slice(0, 3))) as Float32Array[];
    expect(dot(a as Float32Array, b as Float32Array)).toBeGreaterThan(0.8);
    expect(dot(a as Float32Array, b as Float32Array)).toBeGreaterThan(
      dot(a as Float32Array, c as Float32Array) + 0.3,
    );
  });

  it('serves concurrent callers each their own vectors', async () => {
    const [first, second] = await Promise.all([
      embedder.embed(texts.slice(0, 3)),
      embedder.embed(texts.slice(2)),
    ]);
    expect(dot(first[2] as Float32Array, second[0] as Float32Array)).toBeCloseTo(1, 4);
  });

  it('embeds an empty list to nothing and an empty text to a finite vector', async () => {
    expect(await embedder.embed([])).toEqual([]);
    const [blank] = await embedder.embed(['']);
    expect(blank?.every(Number.isFinite)).toBe(true);
  });
});
