import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@asahi/errors';

/** Who is calling: what `findActiveKey` resolves an API key to. */
export interface Principal {
  keyId: string;
  tenantId: string;
  roles: string[];
}

export type KeyLookup = (plaintext: string) => Promise<Principal | null>;

export interface KeyCacheOptions {
  /** How long a found key is trusted without asking Postgres again (bounds revocation delay). */
  ttlMs?: number;
  /** How long an unknown key is remembered as unknown (short: a new key must work quickly). */
  negativeTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export interface KeyCache {
  resolve(plaintext: string): Promise<Principal | null>;
  readonly size: number;
}

interface Entry {
  principal: Principal | null;
  expiresAt: number;
}

/**
 * In-process cache in front of the key lookup so the hot path does not query Postgres on every
 * request. A bounded LRU (Map insertion order; a hit re-inserts) keyed by the key's sha256, so
 * plaintext keys are not kept in the heap. Concurrent misses for one key share one lookup.
 */
export function createKeyCache(lookup: KeyLookup, options: KeyCacheOptions = {}): KeyCache {
  const ttlMs = options.ttlMs ?? 30_000;
  const negativeTtlMs = options.negativeTtlMs ?? 2_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Principal | null>>();

  const remember = (hash: string, principal: Principal | null) => {
    entries.delete(hash);
    entries.set(hash, { principal, expiresAt: now() + (principal ? ttlMs : negativeTtlMs) });
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  };

  return {
    get size() {
      return entries.size;
    },
    async resolve(plaintext) {
      const hash = createHash('sha256').update(plaintext).digest('hex');
      const hit = entries.get(hash);
      if (hit && hit.expiresAt > now()) {
        entries.delete(hash);
        entries.set(hash, hit);
        return hit.principal;
      }
      const pending = inFlight.get(hash);
      if (pending) return pending;
      const p = lookup(plaintext)
        .then((principal) => {
          remember(hash, principal);
          return principal;
        })
        .catch((err: unknown) => {
          throw new AppError('unavailable', 'Could not verify the API key right now', {
            retryAfterMs: 1_000,
            cause: err,
          });
        })
        .finally(() => inFlight.delete(hash));
      inFlight.set(hash, p);
      return p;
    },
  };
}

/** The key from `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function apiKeyFromHeaders(headers: FastifyRequest['headers']): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

/** The password of `Authorization: Basic base64(user:password)`; the user name is ignored. */
export function basicPassword(headers: FastifyRequest['headers']): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password === '' ? undefined : password;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API-key hook on authenticated routes. */
    principal: Principal | null;
  }
}

/** The caller of an authenticated route (the hook guarantees it is set). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('unauthenticated', 'Missing API key');
  return req.principal;
}

/** onRequest hook: resolves the API key to a tenant or fails with 401 `unauthenticated`. */
export function apiKeyHook(keys: KeyCache) {
  return async (req: FastifyRequest) => {
    const key = apiKeyFromHeaders(req.headers);
    if (!key)
      throw new AppError(
        'unauthenticated',
        'Missing API key: send `Authorization: Bearer <key>` or `x-api-key: <key>`',
      );
    const principal = await keys.resolve(key);
    if (!principal) throw new AppError('unauthenticated', 'Invalid or revoked API key');
    req.principal = principal;
    req.log = req.log.child({ tenantId: principal.tenantId });
  };
}

/** A role check; `admin` implies every role. */
export function requireRole(principal: Principal, role: string): void {
  if (!principal.roles.includes(role) && !principal.roles.includes('admin')) {
    throw new AppError('forbidden', `This API key lacks the \`${role}\` role`);
  }
}

/**
 * onRequest hook for the admin UI: HTTP Basic whose password is an API key with role `admin`.
 * Answers itself instead of throwing, because the route's error handler is Bull Board's own.
 */
export function adminBasicHook(
  keys: KeyCache,
  toBody: (message: string, req: FastifyRequest) => unknown,
) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const password = basicPassword(req.headers);
    const principal = password ? await keys.resolve(password).catch(() => null) : null;
    if (principal?.roles.includes('admin')) {
      req.principal = principal;
      return;
    }
    const message = principal
      ? 'This API key lacks the `admin` role'
      : 'Admin credentials required (HTTP Basic, password = admin API key)';
    return reply
      .code(401)
      .header('www-authenticate', 'Basic realm="asahi"')
      .send(toBody(message, req));
  };
}
