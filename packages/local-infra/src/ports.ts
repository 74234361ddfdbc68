import { createServer } from 'node:net';

const HOST = '127.0.0.1';

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Lets the kernel pick an unused ephemeral port. */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: HOST, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * Reuse the previous port when it is still free so URLs stay stable across restarts (other
 * terminals may have exported them); otherwise pick a fresh one. `avoid` prevents handing out the
 * same port twice when a component needs several.
 */
export async function pickPort(
  preferred: number | undefined,
  avoid: number[] = [],
): Promise<number> {
  if (preferred && !avoid.includes(preferred) && (await isPortFree(preferred))) return preferred;
  for (;;) {
    const port = await getFreePort();
    if (!avoid.includes(port)) return port;
  }
}
