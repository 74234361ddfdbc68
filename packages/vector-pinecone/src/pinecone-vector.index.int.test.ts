import { Pinecone } from '@pinecone-database/pinecone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VectorEntry, VectorIndex } from '@asahi/stages';
import { startPineconeFixture, type PineconeFixture } from './pinecone-fixture';
import {
  createPineconeVectorIndex,
  EXPIRES_AT_KEY,
  type PineconeVectorIndexOptions,
} from './index';

/*
 * The adapter through the real @pinecone-database/pinecone SDK, over HTTP, against the local
 * data-plane fixture (no Pinecone account in tests). The fixture computes real cosine scores and
 * evaluates metadata filters; the SDK's own request/response code runs unchanged.
 */

const API_KEY = 'pc-test-key';
const DIMS = 4;
let fixture: PineconeFixture;

beforeAll(async () => {
  fixture = await startPineconeFixture({ apiKey: API_KEY, dimension: DIMS });
});
afterAll(() => fixture.close());

function clock(start = 1_800_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

let run = 0;
function adapter(options: Partial<PineconeVectorIndexOptions> = {}): VectorIndex {
  return createPineconeVectorIndex({
    apiKey: API_KEY,
    indexName: 'asahi-test',
    indexHost: fixture.url,
    namespacePrefix: `run${++run}`,
    maxRetries: 0,
    ...options,
  });
}

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};
const entry = (id: string, v: Float32Array, metadata = {}): VectorEntry => ({
  id,
  vector: v,
  metadata,
});

describe('createPineconeVectorIndex (SDK against the local fixture)', () => {
  it('upserts, queries with real cosine scores best first, honours topK and minScore', async () => {
    const index = adapter();
    await index.upsert('t', [
      entry('a', unit(1, 0, 0, 0), { answer: 'A', n: 1, ok: true }),
      entry('b', unit(1, 1, 0, 0)),
      entry('c', unit(0, 0, 1, 0)),
    ]);
    const matches = await index.query('t', unit(1, 0, 0, 0), { topK: 3 });
    expect(matches.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(matches[0]).toEqual({ id: 'a', score: 1, metadata: { answer: 'A', n: 1, ok: true } });
    expect(matches[1]!.score).toBeCloseTo(Math.SQRT1_2, 5);
    expect(matches[2]!.score).toBeCloseTo(0, 5);
    expect((await index.query('t', unit(1, 0, 0, 0), { topK: 1 })).map((m) => m.id)).toEqual(['a']);
    expect(
      (await index.query('t', unit(1, 0, 0, 0), { topK: 3, minScore: 0.5 })).map((m) => m.id),
    ).toEqual(['a', 'b']);
  });

  it('keeps each tenant in its own Pinecone namespace', async () => {
    const index = adapter({ namespacePrefix: 'iso' });
    await index.upsert('tenant-a', [entry('x', unit(1, 0, 0, 0))]);
    await index.upsert('tenant-b', [entry('y', unit(1, 0, 0, 0))]);
    expect((await index.query('tenant-a', unit(1, 0, 0, 0), { topK: 5 })).map((m) => m.id)).toEqual(
      ['x'],
    );
    expect((await index.query('tenant-b', unit(1, 0, 0, 0), { topK: 5 })).map((m) => m.id)).toEqual(
      ['y'],
    );
    expect(await index.query('tenant-c', unit(1, 0, 0, 0), { topK: 5 })).toEqual([]);
    expect(fixture.ids('iso/tenant-a')).toEqual(['x']);
    expect(fixture.ids('iso/tenant-b')).toEqual(['y']);
    const stats = await new Pinecone({ apiKey: API_KEY })
      .index({ host: fixture.url })
      .describeIndexStats();
    expect(stats.namespaces?.['iso/tenant-a']).toEqual({ recordCount: 1 });
  });

  it('never lets two (prefix, tenant) pairs share a namespace', async () => {
    // Plain concatenation made `asahi-x` + `yz` and `asahi-xy` + `z` both `asahi-xyz`.
    const stackX = adapter({ namespacePrefix: 'asahi-x' });
    const stackXy = adapter({ namespacePrefix: 'asahi-xy' });
    const bare = adapter({ namespacePrefix: '' });
    await stackX.upsert('yz', [entry('from-x', unit(1, 0, 0, 0))]);
    await stackXy.upsert('z', [entry('from-xy', unit(1, 0, 0, 0))]);
    await bare.upsert('asahi-x/yz', [entry('from-bare', unit(1, 0, 0, 0))]);
    const idsIn = async (index: VectorIndex, tenant: string) =>
      (await index.query(tenant, unit(1, 0, 0, 0), { topK: 5 })).map((m) => m.id);
    expect(await idsIn(stackX, 'yz')).toEqual(['from-x']);
    expect(await idsIn(stackXy, 'z')).toEqual(['from-xy']);
    expect(await idsIn(bare, 'asahi-x/yz')).toEqual(['from-bare']);
    expect(fixture.ids('asahi-x/yz')).toEqual(['from-x']);
    expect(fixture.ids('asahi-xy/z')).toEqual(['from-xy']);
    expect(fixture.ids('asahi-x%2Fyz')).toEqual(['from-bare']);
  });

  it('deletes by id', async () => {
    const index = adapter();
    await index.upsert('t', [entry('a', unit(1, 0, 0, 0)), entry('b', unit(0, 1, 0, 0))]);
    await index.delete('t', ['a', 'never-existed']);
    expect((await index.query('t', unit(1, 0, 0, 0), { topK: 5 })).map((m) => m.id)).toEqual(['b']);
  });

  it('hides expired entries with an expiresAt filter and sweeps them out best-effort', async () => {
    const time = clock();
    const index = adapter({
      clock: time,
      defaultTtlSeconds: 60,
      sweepIntervalMs: 1000,
      namespacePrefix: 'ttl',
    });
    await index.upsert('t', [entry('short', unit(1, 0, 0, 0))]);
    await index.upsert('t', [entry('long', unit(1, 0.1, 0, 0))], { ttlSeconds: 3600 });
    expect((await index.query('t', unit(1, 0, 0, 0), { topK: 5 })).map((m) => m.id)).toEqual([
      'short',
      'long',
    ]);
    time.advance(61_000);
    expect((await index.query('t', unit(1, 0, 0, 0), { topK: 5 })).map((m) => m.id)).toEqual([
      'long',
    ]);
    const query = fixture.requests.filter((r) => r.path === '/query').at(-1)!;
    expect(query.body).toMatchObject({
      namespace: 'ttl/t',
      filter: { [EXPIRES_AT_KEY]: { $gt: time.now() } },
    });
    expect(fixture.ids('ttl/t')).toEqual(['long', 'short']); // Pinecone itself never expires anything
    await index.upsert('t', [entry('fresh', unit(0, 1, 0, 0))]); // triggers the sweep
    await waitFor(() => !fixture.ids('ttl/t').includes('short'));
    expect(fixture.ids('ttl/t')).toEqual(['fresh', 'long']);
  });

  it('maps SDK failures to AppErrors by class', async () => {
    await expect(adapter().query('t', unit(1, 0, 0), { topK: 1 })).rejects.toMatchObject({
      code: 'invalid_request',
      retryable: false,
    });
    await expect(
      adapter({ apiKey: 'wrong' }).query('t', unit(1, 0, 0, 0), { topK: 1 }),
    ).rejects.toMatchObject({
      code: 'internal',
      retryable: false,
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
