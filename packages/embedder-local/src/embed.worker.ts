import { parentPort } from 'node:worker_threads';
import { createLocalEmbedder } from './local.embedder';

/** Worker side of the threaded embedder: one model, one batch at a time, vectors sent back. */
const port = parentPort;
if (!port) throw new Error('embed.worker must run in a worker thread');
const embedder = await createLocalEmbedder();
await embedder.embed(['warm up']); // the first call compiles the kernels
port.on('message', (msg: { id: number; texts: string[] } | { exit: number }) => {
  // Lets tests crash the thread for real (the parent must survive a dying worker).
  if ('exit' in msg) process.exit(msg.exit);
  embedder.embed(msg.texts).then(
    (vectors) => port.postMessage({ id: msg.id, vectors }),
    (err: unknown) => port.postMessage({ id: msg.id, error: String(err) }),
  );
});
port.postMessage({ ready: true });
