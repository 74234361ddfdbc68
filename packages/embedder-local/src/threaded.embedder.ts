import { Worker } from 'node:worker_threads';
import type { Embedder } from '@asahi/stages';

export interface ThreadedEmbedderOptions {
  /** Most texts per model call; queued requests are merged up to this. Default 32. */
  maxBatch?: number;
}

interface Pending {
  texts: string[];
  resolve: (vectors: Float32Array[]) => void;
  reject: (err: Error) => void;
}

/**
 * The local embedder on its own thread. The model is CPU work that would otherwise block the
 * event loop, so a prepare worker's time budget could not fire while it runs; here the main
 * thread stays free and the budget is real. Requests that arrive while a batch is computing are
 * merged into the next batch (one model call for many texts is far cheaper than many calls).
 */
export async function createThreadedEmbedder(
  options: ThreadedEmbedderOptions = {},
): Promise<Embedder & { close(): Promise<void> }> {
  const maxBatch = Math.max(1, options.maxBatch ?? 32);
  // The repo runs TypeScript through tsx; the bootstrap registers it inside the thread.
  const worker = new Worker(new URL('./embed-worker.bootstrap.mjs', import.meta.url));
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', () => resolve());
  });
  const queue: Pending[] = [];
  const inFlight = new Map<number, Pending[]>();
  let nextId = 0;
  let busy = false;

  const pump = () => {
    if (busy || queue.length === 0) return;
    const batch: Pending[] = [];
    let size = 0;
    while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.texts.length <= maxBatch)) {
      const next = queue.shift()!;
      batch.push(next);
      size += next.texts.length;
    }
    const id = nextId++;
    inFlight.set(id, batch);
    busy = true;
    worker.postMessage({ id, texts: batch.flatMap((p) => p.texts) });
  };

  worker.on('message', (msg: { id: number; vectors?: Float32Array[]; error?: string }) => {
    const batch = inFlight.get(msg.id);
    if (!batch) return;
    inFlight.delete(msg.id);
    busy = false;
    let offset = 0;
    for (const p of batch) {
      if (msg.vectors) p.resolve(msg.vectors.slice(offset, offset + p.texts.length));
      else p.reject(new Error(`embedder failed: ${msg.error}`));
      offset += p.texts.length;
    }
    pump();
  });
  worker.on('error', (err) => {
    for (const p of [...queue.splice(0), ...[...inFlight.values()].flat()]) p.reject(err);
    inFlight.clear();
  });

  return {
    name: 'use-lite',
    dimensions: 512,
    embed: (texts) =>
      texts.length === 0
        ? Promise.resolve([])
        : new Promise<Float32Array[]>((resolve, reject) => {
            queue.push({ texts, resolve, reject });
            pump();
          }),
    close: async () => void (await worker.terminate()),
  };
}
