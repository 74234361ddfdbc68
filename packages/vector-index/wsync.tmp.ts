import { Redis } from 'ioredis';
import { createRedisVectorIndex, clusteredUnitVectors, createRng, uniformUnitVectors, perturbUnitVector } from '/work/main/packages/vector-index/src/index';
const N = 100000, D = 512, NS = 't';
const prefix = `asahi:tmpbench:${Date.now().toString(36)}`;
const r1 = new Redis(process.env.REDIS_URL!), r2 = new Redis(process.env.REDIS_URL!);
const w = createRedisVectorIndex({ redis: r1, prefix, dimensions: D, maxEntriesPerNamespace: N + 50000 });
const rd = createRedisVectorIndex({ redis: r2, prefix, dimensions: D, maxEntriesPerNamespace: N + 50000 });
const rng = createRng(1);
const set = clusteredUnitVectors(N, D, rng, { clusters: 1000, spread: 0.8 });
for (let i = 0; i < N; i += 500) await w.upsert(NS, Array.from({ length: Math.min(500, N - i) }, (_, k) => ({ id: `e${i + k}`, vector: set.vectors.subarray((i + k) * D, (i + k + 1) * D), metadata: {} })));
await rd.sync(NS);
const up: number[] = [], sy: number[] = [], qy: number[] = [];
for (let i = 0; i < 300; i++) {
  let t = performance.now(); await w.upsert(NS, [{ id: `w${i}`, vector: uniformUnitVectors(1, D, rng), metadata: {} }]); up.push(performance.now() - t);
  t = performance.now(); await rd.sync(NS); sy.push(performance.now() - t);
  const r = rng.int(N); const q = perturbUnitVector(set.vectors.subarray(r * D, (r + 1) * D), 0.33, rng);
  t = performance.now(); await rd.query(NS, q, { topK: 1 }); qy.push(performance.now() - t);
}
const st = (a: number[]) => { const s = [...a.slice(5)].sort((x, y) => x - y); return `p50 ${s[s.length >> 1]!.toFixed(3)} p95 ${s[Math.floor(s.length * 0.95)]!.toFixed(3)} max ${s[s.length - 1]!.toFixed(2)}`; };
console.log('upsert', st(up)); console.log('sync with 1 change', st(sy)); console.log('query (no change)', st(qy));
let cursor = '0'; do { const [n, keys] = await r1.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000); cursor = n; if (keys.length) await r1.unlink(...keys); } while (cursor !== '0');
await r1.quit(); await r2.quit();
