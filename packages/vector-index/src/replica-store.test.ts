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

  it('builds the index past minEntries, retrains after growth, drops it when small again', async () => {
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
    const put = async (from: number, to: number) => {
      for (let i = from; i < to; i++)
        store.put(`e${i}`, vectors.subarray(i * dims, (i + 1) * dims), {}, Infinity);
      store.maintain();
      await store.whenIndexed();
    };
    await put(0, 199);
    expect(store.indexed).toBe(false);
    await put(199, 200);
    expect(store.trainedSize).toBe(200);
    await put(200, 400);
    expect(store.trainedSize).toBe(200);
    await put(400, 500);
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

  describe('background index build', () => {
    const dims = 64;
    const n = 20_000;
    const { vectors } = clusteredUnitVectors(n + 11, dims, createRng(9), {
      clusters: 100,
      spread: 0.6,
    });
    const row = (i: number) => vectors.subarray(i * dims, (i + 1) * dims);
    const filled = () => {
      const store = new ReplicaStore(dims, { ...DEFAULT_ANN_OPTIONS, minEntries: 1000 }, n);
      for (let i = 0; i < n; i++) store.put(`e${i}`, row(i), {}, Infinity);
      return store;
    };

    it('leaves the event loop free while it trains, answering queries exactly meanwhile', async () => {
      const store = filled();
      store.maintain();
      expect(store.building).toBe(true);
      expect(store.indexed).toBe(false);
      // Before the fix the build ran to the end inside maintain(): nothing else could run.
      const seenByTheLoop = await new Promise<boolean>((resolve) =>
        setImmediate(() => resolve(store.building)),
      );
      expect(seenByTheLoop).toBe(true);
      expect((await store.searchUnblocking(row(123), { topK: 1, now: 0 }))[0]!.id).toBe('e123');
      await store.whenIndexed();
      expect(store).toMatchObject({ indexed: true, building: false, trainedSize: n });
    });

    it('files writes and removals made while the build paused', async () => {
      const store = filled();
      store.maintain();
      store.remove('e7');
      store.put('e8', row(n + 10), { moved: true }, Infinity); // e8 now holds another vector
      for (let i = n; i < n + 10; i++) store.put(`late${i}`, row(i), {}, Infinity);
      await store.whenIndexed();
      expect(store.indexed).toBe(true);
      const idsNear = (i: number) => store.search(row(i), { topK: 3, now: 0 }).map((m) => m.id);
      expect(idsNear(7)).not.toContain('e7');
      expect(idsNear(7).every((id) => typeof id === 'string')).toBe(true); // no freed slot
      expect(store.search(row(n + 10), { topK: 1, now: 0 })[0]).toMatchObject({
        id: 'e8',
        metadata: { moved: true },
      });
      for (let i = n; i < n + 10; i++) expect(idsNear(i)[0]).toBe(`late${i}`);
    });

    it('stops a build when the store is disposed', async () => {
      const store = filled();
      store.maintain();
      store.dispose();
      await store.whenIndexed();
      await new Promise((r) => setTimeout(r, 0));
      expect(store).toMatchObject({ indexed: false, building: false });
    });
  });

  it('rescores a sliced exact scan at the end, so entries removed meanwhile drop out', async () => {
    const dims = 8;
    const n = 20_000; // more than one slice, no index (minEntries above n)
    const store = new ReplicaStore(dims, { ...DEFAULT_ANN_OPTIONS, minEntries: 1e9 }, n);
    const { vectors } = clusteredUnitVectors(n, dims, createRng(4), { clusters: 50, spread: 0.5 });
    for (let i = 0; i < n; i++)
      store.put(`e${i}`, vectors.subarray(i * dims, (i + 1) * dims), {}, Infinity);
    const q = vectors.subarray(5 * dims, 6 * dims);
    const exact = store.search(q, { topK: 2, now: 0 });
    expect(exact[0]!.id).toBe('e5');
    const pending = store.searchUnblocking(q, { topK: 2, now: 0 });
    expect(pending).toBeInstanceOf(Promise); // the first slice ran; the rest wait for the loop
    store.remove('e5');
    const found = await pending;
    expect(found.map((m) => m.id)).not.toContain('e5');
    expect(found[0]).toEqual(exact[1]);
  });
});
