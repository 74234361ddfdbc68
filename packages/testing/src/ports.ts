import { createServer } from 'node:net';

/**
 * Ports are drawn below Linux's ephemeral range (32768–60999): a port the OS hands out for
 * "port 0" is also what it uses for outgoing connections, so with hundreds of Kafka, Redis and
 * Postgres client sockets on the machine an app that binds such a port a few seconds later can
 * find it taken (EADDRINUSE).
 */
const LOW = 20_000;
const HIGH = 32_000;
/**
 * The reservation set below is per process, and vitest runs test files in parallel workers: each
 * process draws from its own slice of the range (by pid), so two workers rarely pick alike.
 */
const SLICES = 6;
const SLICE = Math.floor((HIGH - LOW) / SLICES);
const SLICE_LOW = LOW + (process.pid % SLICES) * SLICE;
const handedOut = new Set<number>();

/** A port free right now on 127.0.0.1, outside the ephemeral range, not handed out before here. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = SLICE_LOW + Math.floor(Math.random() * SLICE);
    if (handedOut.has(port)) continue;
    handedOut.add(port); // reserved before the await, so concurrent callers never share one
    if (await isPortFree(port)) return port;
  }
  return osPort();
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether 127.0.0.1:port can be bound right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
