import { isAlive, sleep, tailFile } from './process';

export interface WaitOptions {
  name: string;
  pid: number;
  probe: () => Promise<boolean>;
  timeoutMs: number;
  tailFiles: string[];
}

/**
 * Polls the health probe until it passes. Fails fast (with the log tail) when the server process
 * dies, instead of waiting out the whole timeout on a crash such as a port clash or bad config.
 */
export async function waitUntilHealthy(opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await opts.probe()) return;
    if (!isAlive(opts.pid)) throw startupError(opts, `exited during startup (pid ${opts.pid})`);
    await sleep(250);
  }
  throw startupError(opts, `did not become healthy within ${Math.round(opts.timeoutMs / 1000)}s`);
}

function startupError(opts: WaitOptions, what: string): Error {
  const tails = opts.tailFiles.map((file) => `--- last lines of ${file} ---\n${tailFile(file)}`);
  return new Error(`${opts.name} ${what}\n${tails.join('\n')}`);
}

/** Rejects when `promise` does not settle in time (probes must never hang `up` or `status`). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
