import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** RESP array encoding, so passwords with spaces survive (inline commands would split them). */
function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Sends PING (after AUTH when the URL carries credentials) over a raw socket and expects +PONG.
 * A raw socket keeps this package free of a Redis client, and -LOADING (still reading its dump)
 * or -NOAUTH correctly count as "not ready".
 */
export function pingRedis(url: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(u.port || 6379);
    const socket: Socket =
      u.protocol === 'rediss:'
        ? tlsConnect({ host, port, servername: host })
        : tcpConnect({ host, port });
    const auth = u.password
      ? command(
          'AUTH',
          ...(u.username ? [decodeURIComponent(u.username)] : []),
          decodeURIComponent(u.password),
        )
      : '';
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () =>
      socket.write(auth + command('PING')),
    );
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('-')) done(false);
      else if (reply.includes('+PONG\r\n')) done(true);
    });
  });
}
