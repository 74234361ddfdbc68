import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createLocalEmbedder } from '@asahi/embedder-local';
import { createOpenAiEmbedder } from '@asahi/provider-openai';
import { startSimulator } from '@asahi/provider-sim';
import type { Embedder } from '@asahi/stages';

export const EMBEDDER_NAMES = ['local', 'sim', 'lexical'] as const;
export type EmbedderName = (typeof EMBEDDER_NAMES)[number];

export interface EvalEmbedder {
  embedder: Embedder;
  close(): Promise<void>;
}

/**
 * local: Universal Sentence Encoder Lite in process (the default). sim: the provider
 * simulator's hashed-feature embeddings through the real openai SDK and `createOpenAiEmbedder`,
 * the simulator started in process on an ephemeral port. lexical: character n-gram TF hashing,
 * the cheapest possible baseline.
 */
export async function openEmbedder(name: EmbedderName): Promise<EvalEmbedder> {
  if (name === 'local') return { embedder: await createLocalEmbedder(), close: async () => {} };
  if (name === 'lexical') return { embedder: lexicalEmbedder(), close: async () => {} };
  const sim = await startSimulator();
  const client = new OpenAI({ apiKey: 'sk-eval', baseURL: `${sim.url}/v1`, maxRetries: 2 });
  const embedder = createOpenAiEmbedder({ client, model: 'text-embedding-3-small', name: 'sim' });
  return { embedder, close: sim.close };
}

const LEXICAL_DIMENSIONS = 4096;

/** Hashed character 3- to 5-grams of the lower-cased text, sublinear TF, L2-normalised. */
export function lexicalEmbedder(): Embedder {
  const embedOne = (text: string): Float32Array => {
    const counts = new Map<number, number>();
    const padded = ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
    for (let n = 3; n <= 5; n += 1)
      for (let i = 0; i + n <= padded.length; i += 1) {
        const bucket = createHash('md5')
          .update(padded.slice(i, i + n))
          .digest()
          .readUInt32LE(0);
        const index = bucket % LEXICAL_DIMENSIONS;
        counts.set(index, (counts.get(index) ?? 0) + 1);
      }
    const out = new Float32Array(LEXICAL_DIMENSIONS);
    for (const [index, count] of counts) out[index] = 1 + Math.log(count);
    const norm = Math.sqrt(out.reduce((sum, v) => sum + v * v, 0)) || 1;
    return out.map((v) => v / norm);
  };
  return {
    name: 'lexical-ngram',
    dimensions: LEXICAL_DIMENSIONS,
    embed: async (texts) => texts.map(embedOne),
  };
}

/**
 * Embeds each distinct text once, in batches, and keeps vectors in a small on-disk cache keyed
 * by embedder and text, so a re-run with another policy costs no model time.
 */
export async function embedDistinct(
  embedder: Embedder,
  texts: readonly string[],
  cacheDir: string | null,
  batchSize = 256,
): Promise<Map<string, Float32Array>> {
  const distinct = [...new Set(texts)];
  const cached = cacheDir ? loadCache(cacheDir, embedder) : new Map<string, Float32Array>();
  const vectors = new Map<string, Float32Array>();
  const missing: string[] = [];
  for (const text of distinct) {
    const hit = cached.get(hashOf(text));
    if (hit) vectors.set(text, hit);
    else missing.push(text);
  }
  for (let i = 0; i < missing.length; i += batchSize) {
    const batch = missing.slice(i, i + batchSize);
    const out = await embedder.embed(batch);
    batch.forEach((text, k) => {
      const vector = out[k];
      if (!vector) throw new Error(`embedder returned ${out.length} vectors for ${batch.length}`);
      vectors.set(text, vector);
      cached.set(hashOf(text), vector);
    });
  }
  if (cacheDir && missing.length > 0) saveCache(cacheDir, embedder, cached);
  return vectors;
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
const cacheFile = (dir: string, embedder: Embedder) =>
  join(dir, `${embedder.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${embedder.dimensions}.jsonl`);

function loadCache(dir: string, embedder: Embedder): Map<string, Float32Array> {
  const file = cacheFile(dir, embedder);
  const out = new Map<string, Float32Array>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const { h, v } = JSON.parse(line) as { h: string; v: string };
    const bytes = Buffer.from(v, 'base64');
    out.set(h, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice());
  }
  return out;
}

function saveCache(dir: string, embedder: Embedder, vectors: Map<string, Float32Array>): void {
  mkdirSync(dir, { recursive: true });
  const lines = [...vectors].map(([h, vector]) =>
    JSON.stringify({
      h,
      v: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64'),
    }),
  );
  writeFileSync(cacheFile(dir, embedder), `${lines.join('\n')}\n`);
}
