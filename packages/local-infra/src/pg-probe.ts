import { connect } from 'node:net';

export interface PgProbeResult {
  ok: boolean;
  /** SQLSTATE when the server answered with an error, e.g. 57P03 (starting up), 3D000 (no such db). */
  code?: string;
  message?: string;
}

/**
 * Speaks just enough of the PostgreSQL wire protocol to tell whether the server accepts
 * connections to a database: send a StartupMessage and read replies until ReadyForQuery (or a
 * password request); an ErrorResponse carries the reason why not. This keeps the package free of
 * a pg client and works for password-protected servers given via DATABASE_URL.
 */
export function probePostgres(url: string, timeoutMs = 2_000): Promise<PgProbeResult> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve({ ok: false, message: `invalid URL ${url}` });
      return;
    }
    const user = decodeURIComponent(u.username || 'postgres');
    const database = decodeURIComponent(u.pathname.replace(/^\//, '') || user);
    const socket = connect({
      host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: Number(u.port || 5432),
    });
    let buf = Buffer.alloc(0);
    const done = (result: PgProbeResult) => {
      // Terminate politely when logged in, so the server does not log "unexpected EOF".
      if (result.ok) socket.end(Buffer.from([0x58, 0, 0, 0, 4]));
      else socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, message: 'timeout' }));
    socket.on('error', (err) => done({ ok: false, message: err.message }));
    socket.once('connect', () => socket.write(startupMessage(user, database)));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (let msg = nextMessage(buf); msg; msg = nextMessage(buf)) {
        buf = buf.subarray(msg.size);
        const verdict = judge(msg.type, msg.body);
        if (verdict) return done(verdict);
      }
    });
  });
}

function nextMessage(buf: Buffer): { type: string; body: Buffer; size: number } | undefined {
  if (buf.length < 5) return undefined;
  const size = buf.readInt32BE(1) + 1;
  if (buf.length < size) return undefined;
  return { type: String.fromCharCode(buf[0]!), body: buf.subarray(5, size), size };
}

/**
 * Under trust auth the server sends AuthenticationOk *before* checking that the database exists,
 * so only ReadyForQuery ('Z') proves the database is usable. A request for credentials
 * (R with a non-zero code) is as far as we can go without a password: the server is up.
 */
function judge(type: string, body: Buffer): PgProbeResult | undefined {
  if (type === 'R' && body.readInt32BE(0) !== 0) return { ok: true };
  if (type === 'Z') return { ok: true };
  if (type === 'E') return { ok: false, ...parseErrorFields(body) };
  return undefined; // AuthenticationOk, ParameterStatus, BackendKeyData, notices: keep reading
}

function startupMessage(user: string, database: string): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`, 'utf8');
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + params.length, 0);
  header.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([header, params]);
}

/** ErrorResponse body: (1-byte field type, NUL-terminated value)*, then a NUL. */
export function parseErrorFields(body: Buffer): { code?: string; message?: string } {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const type = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    if (end < 0) break;
    fields[type] = body.toString('utf8', i + 1, end);
    i = end + 1;
  }
  return { code: fields.C, message: fields.M };
}
