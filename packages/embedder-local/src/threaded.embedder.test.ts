import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThreadedEmbedder } from './threaded.embedder';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
let embedder: Awaited<ReturnType<typeof createThreadedEmbedder>>;

beforeAll(async () => {
  embedder = await createThreadedEmbedder({ maxBatch: 8 });
}, 30_000);
afterAll(() => embedder?.close());

describe('threaded local embedder', () => {
  it('returns unit vectors that put paraphrases closer than unrelated questions', async () => {
    const [a, b, c] = await embedder.embed([
      'How do I learn Python?',
      'How can I learn Python?',
      'What is the capital of Peru?',
    ]);
    for (const v of [a!, b!, c!]) expect(dot(v, v)).toBeCloseTo(1, 4);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!) + 0.2);
  });

  it('answers each of many concurrent callers with its own vectors, merged into batches', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `question number ${i} about tea`);
    const alone = await embedder.embed(texts.slice(0, 3));
    const together = await Promise.all(texts.map((t) => embedder.embed([t])));
    for (let i = 0; i < 3; i++) expect(dot(together[i]![0]!, alone[i]!)).toBeCloseTo(1, 4);
    expect(together.every((v) => v.length === 1)).toBe(true);
    expect(await embedder.embed([])).toEqual([]);
  });
});
