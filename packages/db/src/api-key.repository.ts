import { randomInt } from 'node:crypto';
import { AppError } from '@asahi/errors';
import type { PrismaClient } from './client';
import { sha256Hex } from './hash';
import { toApiKeyRow, type ApiKeyRow } from './rows';

/**
 * API keys look like `ask_<prefix>_<secret>`: the prefix (random, unique) lets people tell keys
 * apart in listings, the secret carries ~256 bits. Only sha256(whole key) is stored; a key with
 * that much entropy needs no slow hash, and looking up by hash leaks nothing about the secret.
 */
export const DEFAULT_API_KEY_ROLES = ['submitter', 'reader'];
const KEY_PREFIX = 'ask_';
const PREFIX_LENGTH = 12;
const SECRET_LENGTH = 43; // 43 base62 chars ≈ 256 bits
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Touch last_used_at at most this often, so authenticating stays a read on the hot path. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface CreatedApiKey {
  id: string;
  /** The plaintext key. Returned once: it cannot be recovered later. */
  key: string;
  prefix: string;
  roles: string[];
}

export interface ActiveApiKey {
  keyId: string;
  tenantId: string;
  roles: string[];
}

function randomToken(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}

export async function createApiKey(
  prisma: PrismaClient,
  tenantId: string,
  name: string,
  roles: string[] = DEFAULT_API_KEY_ROLES,
): Promise<CreatedApiKey> {
  const tenant = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { id: true } });
  if (!tenant) throw new AppError('not_found', `tenant ${tenantId} does not exist`);
  // A prefix collision is astronomically unlikely, but the unique index would reject it: retry.
  for (let attempt = 1; ; attempt++) {
    const prefix = randomToken(PREFIX_LENGTH);
    const key = `${KEY_PREFIX}${prefix}_${randomToken(SECRET_LENGTH)}`;
    try {
      const row = await prisma.apiKey.create({
        data: { tenantId, name, prefix, secretHash: sha256Hex(key), roles },
      });
      return { id: row.id, key, prefix, roles: row.roles };
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= 3) throw err;
    }
  }
}

/** The key's tenant and roles, or null for unknown, malformed or revoked keys. */
export async function findActiveKey(
  prisma: PrismaClient,
  plaintext: string,
): Promise<ActiveApiKey | null> {
  if (!plaintext.startsWith(KEY_PREFIX) || plaintext.length > 128) return null;
  const row = await prisma.apiKey.findUnique({ where: { secretHash: sha256Hex(plaintext) } });
  if (!row || row.revokedAt) return null;
  const staleBefore = new Date(Date.now() - LAST_USED_RESOLUTION_MS);
  if (!row.lastUsedAt || row.lastUsedAt < staleBefore) {
    // Conditional so concurrent requests of the same key write once, not once each.
    await prisma.apiKey.updateMany({
      where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: staleBefore } }] },
      data: { lastUsedAt: new Date() },
    });
  }
  return { keyId: row.id, tenantId: row.tenantId, roles: row.roles };
}

/** Revokes a key of this tenant; false when there is no such (unrevoked) key. */
export async function revokeApiKey(
  prisma: PrismaClient,
  tenantId: string,
  keyId: string,
): Promise<boolean> {
  const { count } = await prisma.apiKey.updateMany({
    where: { id: keyId, tenantId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count > 0;
}

export async function listApiKeys(prisma: PrismaClient, tenantId: string): Promise<ApiKeyRow[]> {
  const rows = await prisma.apiKey.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
  return rows.map(toApiKeyRow);
}
