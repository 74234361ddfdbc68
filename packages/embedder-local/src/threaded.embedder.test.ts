import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThreadedEmbedder, type ThreadedEmbedder } from './threaded.embedder';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
let embedder: ThreadedEmbedder;
const others: ThreadedEmbedder[] = [];

beforeAll(async () => {
  embedder = await createThreadedEmbedder({ maxBatch: 8 });
}, 30_000);
afterAll(async () => {
  await Promise.all([embedder, ...others].map((e) => e?.close()));
});

/** How a call settled, without waiting on a promise that may never settle. */
const settled = (p: Promise<unknown>) =>
  p.then(
    () => ({ ok: true as const }),
    (err: unknown) => ({ ok: false as const, err: err as { code?: string; details?: unknown } }),
  );

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

  it('rejects calls beyond the queue bound at once as overloaded, and serves the rest', async () => {
    const small = await createThreadedEmbedder({ maxBatch: 1, maxQueuedCalls: 2 });
    others.push(small);
    // The first call goes straight to the worker; two wait behind it; the rest are refused.
    const calls = Array.from({ length: 6 }, (_, i) => settled(small.embed([`text ${i}`])));
    const outcomes = await Promise.all(calls);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false, false, false]);
    expect(outcomes[3]).toMatchObject({
      err: { code: 'unavailable', details: { reason: 'overloaded' } },
    });
    expect((await small.embed(['after the burst']))[0]).toHaveLength(512);
  }, 30_000);

  it('fails in-flight and queued calls when the worker dies, then restarts it', async () => {
    const fragile = await createThreadedEmbedder({ maxBatch: 2, restartDelayMs: 10 });
    others.push(fragile);
    const texts = Array.from({ length: 6 }, (_, i) => `a question about crashes ${i}`);
    // The worker really calls process.exit(1), before it reads the batch sent after: one call is
    // in flight to a dying thread, the others queued behind it.
    fragile.crashWorkerForTests();
    const calls = texts.map((t) => settled(fragile.embed([t])));
    const outcomes = await Promise.all(calls);
    // Before the fix these never settled: the test would hang here.
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    expect(outcomes[0]).toMatchObject({
      err: { code: 'unavailable', details: { reason: 'crashed' } },
    });
    expect(await settled(fragile.embed(['while down']))).toMatchObject({
      ok: false,
      err: { details: { reason: 'restarting' } },
    });
    await fragile.whenReady();
    expect(fragile.status()).toMatchObject({ ready: true, restarts: 1, queued: 0 });
    const [again] = await fragile.embed([texts[0]!]);
    const [reference] = await embedder.embed([texts[0]!]);
    expect(dot(again!, reference!)).toBeCloseTo(1, 4);
  }, 60_000);
});
