import { Worker } from 'node:worker_threads';
import { AppError } from '@asahi/errors';
import type { Embedder } from '@asahi/stages';

export interface ThreadedEmbedderOptions {
  /** Most texts per model call; queued requests are merged up to this. Default 32. */
  maxBatch?: number;
  /**
   * Calls waiting behind the batch in flight. Beyond it `embed` rejects at once with an
   * `unavailable` AppError (details `{ reason: 'overloaded' }`) instead of queueing without bound.
   * Default 256.
   */
  maxQueuedCalls?: number;
  /** Delay before restarting a dead worker; doubles per consecutive failure. Default 100 ms. */
  restartDelayMs?: number;
  /** Ceiling of that delay. Default 10 s. */
  maxRestartDelayMs?: number;
}

export interface ThreadedEmbedderStatus {
  /** A worker is up and taking calls. */
  ready: boolean;
  /** Workers started after the first one (each death is followed by one restart attempt chain). */
  restarts: number;
  /** Calls waiting behind the batch in flight. */
  queued: number;
}

export interface ThreadedEmbedder extends Embedder {
  close(): Promise<void>;
  status(): ThreadedEmbedderStatus;
  /** Resolves once a worker is up (at once when one is); rejects if the embedder is closed. */
  whenReady(): Promise<void>;
  /** Test hook: makes the worker thread call process.exit(1), exactly as a crash would end it. */
  crashWorkerForTests(): void;
}

interface Pending {
  texts: string[];
  resolve: (vectors: Float32Array[]) => void;
  reject: (err: Error) => void;
}

interface WorkerReply {
  id: number;
  vectors?: Float32Array[];
  error?: string;
}

// The repo runs TypeScript through tsx; the bootstrap registers it inside the thread.
const WORKER_URL = new URL('./embed-worker.bootstrap.mjs', import.meta.url);

/**
 * The local embedder on its own thread. The model is CPU work that would otherwise block the
 * event loop, so a prepare worker's time budget could not fire while it runs; here the main
 * thread stays free and the budget is real. Requests that arrive while a batch is computing are
 * merged into the next batch (one model call for many texts is far cheaper than many calls).
 *
 * A worker that errors or exits fails its in-flight and queued calls at once and is restarted
 * with exponential backoff; calls made while it is down fail fast rather than wait. The semantic
 * tier counts an embedder error as degraded and goes on with the exact tier.
 */
export async function createThreadedEmbedder(
  options: ThreadedEmbedderOptions = {},
): Promise<ThreadedEmbedder> {
  const embedder = new SupervisedEmbedder(options);
  await embedder.start(); // the first start fails loudly: a broken model should stop the process
  return embedder;
}

class SupervisedEmbedder implements ThreadedEmbedder {
  readonly name = 'use-lite';
  readonly dimensions = 512;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private worker: Worker | undefined;
  private readonly queue: Pending[] = [];
  private inFlight: { id: number; batch: Pending[] } | undefined;
  private nextId = 0;
  private restarts = 0;
  /** Consecutive deaths without a batch answered in between: the backoff exponent. */
  private failures = 0;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(private readonly options: ThreadedEmbedderOptions) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 32);
    this.maxQueued = Math.max(0, options.maxQueuedCalls ?? 256);
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.reject(unavailable('the local embedder is closed'));
    if (!this.worker)
      return Promise.reject(unavailable('the local embedder worker is restarting', 'restarting'));
    if (this.queue.length >= this.maxQueued)
      return Promise.reject(
        unavailable(
          `the local embedder is overloaded: ${this.queue.length} calls already queued`,
          'overloaded',
        ),
      );
    return new Promise<Float32Array[]>((resolve, reject) => {
      this.queue.push({ texts, resolve, reject });
      this.pump();
    });
  }

  status(): ThreadedEmbedderStatus {
    return { ready: this.worker !== undefined, restarts: this.restarts, queued: this.queue.length };
  }

  whenReady(): Promise<void> {
    if (this.closed) return Promise.reject(unavailable('the local embedder is closed'));
    if (this.worker) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  crashWorkerForTests(): void {
    this.worker?.postMessage({ exit: 1 });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(unavailable('the local embedder is closed'));
    for (const w of this.waiters.splice(0)) w.reject(unavailable('the local embedder is closed'));
    await worker?.terminate();
  }

  /** Starts a worker and waits for its model to load; rejects if it dies first. */
  async start(restart = false): Promise<void> {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const loading = { resolve: () => {}, reject: (_: Error) => {} };
    const onLoadError = (err: Error) => loading.reject(err);
    const onLoadExit = (code: number) =>
      loading.reject(new Error(`worker exited (code ${code}) while loading`));
    const onReady = () => loading.resolve();
    try {
      await new Promise<void>((resolve, reject) => {
        Object.assign(loading, { resolve, reject });
        worker.once('error', onLoadError).once('exit', onLoadExit).once('message', onReady);
      });
    } catch (err) {
      retire(worker);
      throw err;
    } finally {
      // Not removeAllListeners: Worker keeps its own listeners that ref/unref its message port.
      worker.off('error', onLoadError).off('exit', onLoadExit).off('message', onReady);
    }
    if (this.closed) {
      retire(worker);
      throw unavailable('the local embedder is closed');
    }
    worker.on('message', (msg: WorkerReply) => this.onReply(msg));
    worker.on('error', (err) => this.onDeath(worker, err));
    worker.on('exit', (code) => this.onDeath(worker, new Error(`worker exited with code ${code}`)));
    this.worker = worker;
    if (restart) this.restarts++;
    for (const w of this.waiters.splice(0)) w.resolve();
    this.pump();
  }

  private pump(): void {
    if (!this.worker || this.inFlight || this.queue.length === 0) return;
    const batch: Pending[] = [];
    let size = 0;
    const queue = this.queue;
    while (
      queue.length > 0 &&
      (batch.length === 0 || size + queue[0]!.texts.length <= this.maxBatch)
    ) {
      const next = queue.shift()!;
      batch.push(next);
      size += next.texts.length;
    }
    const id = this.nextId++;
    this.inFlight = { id, batch };
    this.worker.postMessage({ id, texts: batch.flatMap((p) => p.texts) });
  }

  private onReply(msg: WorkerReply): void {
    if (!this.inFlight || this.inFlight.id !== msg.id) return;
    const { batch } = this.inFlight;
    this.inFlight = undefined;
    this.failures = 0; // it answered: the next death starts the backoff over
    let offset = 0;
    for (const p of batch) {
      if (msg.vectors) p.resolve(msg.vectors.slice(offset, offset + p.texts.length));
      else p.reject(new AppError('internal', `local embedder failed: ${msg.error}`));
      offset += p.texts.length;
    }
    this.pump();
  }

  /** Error and exit may both fire for one death; only the first, for the current worker, counts. */
  private onDeath(worker: Worker, cause: Error): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    retire(worker);
    this.failAll(
      unavailable(`the local embedder worker died (${cause.message})`, 'crashed', cause),
    );
    this.scheduleRestart();
  }

  private failAll(error: AppError): void {
    const failed = [...(this.inFlight?.batch ?? []), ...this.queue.splice(0)];
    this.inFlight = undefined;
    for (const p of failed) p.reject(error);
  }

  private scheduleRestart(): void {
    if (this.closed) return;
    const base = Math.max(1, this.options.restartDelayMs ?? 100);
    const ceiling = Math.max(base, this.options.maxRestartDelayMs ?? 10_000);
    const delay = Math.min(ceiling, base * 2 ** Math.min(this.failures, 30));
    this.failures++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start(true).catch(() => this.scheduleRestart());
    }, delay);
    this.restartTimer.unref();
  }
}

/** Stops listening to a dead worker; a late 'error' with no listener would crash the process. */
function retire(worker: Worker): void {
  for (const event of ['message', 'error', 'exit'] as const) worker.removeAllListeners(event);
  worker.on('error', () => undefined);
  void worker.terminate(); // after an 'error' the thread may still be winding down
}

function unavailable(
  message: string,
  reason?: 'overloaded' | 'restarting' | 'crashed',
  cause?: unknown,
): AppError {
  return new AppError('unavailable', message, { details: reason && { reason }, cause });
}
