import { describe, expect, it } from 'vitest';
import { createRng } from './ann/rng';
import { clusteredUnitVectors } from './ann/synthetic-vectors';
import { decodeEntry, encodeEntry } from './entry-codec';
import { DEFAULT_ANN_OPTIONS, ReplicaStore } from './replica-store';

const unit = (...xs: number[]) => {
  const v = Float32Array.from(xs);
  const n = Math.hypot(...xs);
  return v.map((x) => x / n);
};

describe('entry codec', () => {
  it('round-trips vector bytes, metadata and expiry', () => {
    const v = unit(1, 2, 3, 4);
    const blob = encodeEntry(v, { answer: 'k1', hits: 3, ok: true }, 1_700_000_000_123);
    const decoded = decodeEntry(Buffer.concat([Buffer.alloc(1), blob]).subarray(1), 4)!;
    expect(new Float32Array(Uint8Array.from(decoded.vectorBytes).buffer)).toEqual(v);
    expect(decoded.metadata).toEqual({ answer: 'k1', hits: 3, ok: true });
    expect(decoded.expiresAt).toBe(1_700_000_000_123);
  });

  it.each([
    { what: 'another dimension', blob: encodeEntry(unit(1, 0, 0), {}, 1), dims: 4 },
    {
      what: 'a truncated value',
      blob: encodeEntry(unit(1, 0, 0, 0), {}, 1).subarray(0, 20),
      dims: 4,
    },
    { what: 'an unknown format', blob: Buffer.alloc(64, 9), dims: 4 },
  ])('rejects $what', ({ blob, dims }) => {
    expect(decodeEntry(blob, dims)).toBeUndefined();
  });
});

describe('ReplicaStore', () => {
  it.each([
    { topK: 1, minScore: undefined, ids: ['a'] },
    { topK: 3, minScore: undefined, ids: ['a', 'b', 'c'] },
    { topK: 3, minScore: 0.5, ids: ['a', 'b'] },
    { topK: 3, minScore: 0.99, ids: ['a'] },
  ])('returns the best $topK above $minScore, best first', ({ topK, minScore, ids }) => {
    const store = new ReplicaStore(2);
    store.put('a', unit(1, 0), { n: 1 }, Infinity);
    store.put('b', unit(1, 1), { n: 2 }, Infinity);
    store.put('c', unit(0, 1), { n: 3 }, Infinity);
    const matches = store.search(unit(1, 0), { topK, minScore, now: 0 });
    expect(matches.map((m) => m.id)).toEqual(ids);
    expect(matches[0]).toEqual({ id: 'a', score: 1, metadata: { n: 1 } });
  });

  it('hides entries whose expiry has passed', () => {
    const store = new ReplicaStore(2);
    store.put('old', unit(1, 0), {}, 1000);
    store.put('new', unit(1, 0.2), {}, 5000);
    expect(store.search(unit(1, 0), { topK: 1, now: 999 })[0]!.id).toBe('old');
    expect(store.search(unit(1, 0), { topK: 1, now: 1000 })[0]!.id).toBe('new');
  });

  it('replaces an entry in place and forgets removed ones', () => {
    const store = new ReplicaStore(2);
    store.put('x', unit(1, 0), { v: 1 }, Infinity);
    store.put('x', unit(0, 1), { v: 2 }, Infinity);
    expect(store.size).toBe(1);
    expect(store.search(unit(0, 1), { topK: 1, now: 0 })[0]).toMatchObject({
      id: 'x',
      metadata: { v: 2 },
    });
    expect(store.remove('x')).toBe(true);
    expect(store.remove('x')).toBe(false);
    expect(store.search(unit(0, 1), { topK: 1, now: 0 })).toEqual([]);
  });

  it('builds the index past minEntries, retrains after growth, drops it when small again', () => {
    const dims = 16;
    const store = new ReplicaStore(dims, {
      ...DEFAULT_ANN_OPTIONS,
      minEntries: 200,
      retrainFactor: 2,
    });
    const { vectors } = clusteredUnitVectors(500, dims, createRng(5), {
      clusters: 10,
      spread: 0.5,
    });
    const put = (from: number, to: number) => {
      for (let i = from; i < to; i++)
        store.put(`e${i}`, vectors.subarray(i * dims, (i + 1) * dims), {}, Infinity);
      store.maintain();
    };
    put(0, 199);
    expect(store.indexed).toBe(false);
    put(199, 200);
    expect(store.trainedSize).toBe(200);
    put(200, 400);
    expect(store.trainedSize).toBe(200);
    put(400, 500);
    expect(store.trainedSize).toBe(500);
    const q = vectors.subarray(42 * dims, 43 * dims);
    expect(store.search(q, { topK: 1, now: 0 })[0]!.id).toBe('e42');
    for (let i = 0; i < 420; i++) store.remove(`e${i}`);
    store.maintain();
    expect(store.indexed).toBe(false);
    expect(store.search(vectors.subarray(450 * dims, 451 * dims), { topK: 1, now: 0 })[0]!.id).toBe(
      'e450',
    );
  });
});
