import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createApiKey, findActiveKey, upsertTenant, type PrismaClient } from '@asahi/db';

export interface DevKeys {
  tenantId: string;
  apiKey: string;
  adminKey: string;
}

/**
 * The dev tenant and its keys for `npm start`. Plaintext keys exist only at creation, so they are
 * kept in a git-ignored file and reused while they are still valid in this database.
 */
export async function seedDevTenant(prisma: PrismaClient, keysFile: string): Promise<DevKeys> {
  await upsertTenant(prisma, { id: 'demo', name: 'Demo tenant' });
  if (existsSync(keysFile)) {
    const saved = JSON.parse(readFileSync(keysFile, 'utf8')) as DevKeys;
    const [api, admin] = await Promise.all([
      findActiveKey(prisma, saved.apiKey),
      findActiveKey(prisma, saved.adminKey),
    ]);
    if (api?.tenantId === 'demo' && admin?.roles.includes('admin')) return saved;
  }
  const api = await createApiKey(prisma, 'demo', 'dev key', ['submitter', 'reader', 'enrichment']);
  const admin = await createApiKey(prisma, 'demo', 'dev admin key', [
    'admin',
    'submitter',
    'reader',
  ]);
  const keys = { tenantId: 'demo', apiKey: api.key, adminKey: admin.key };
  mkdirSync(dirname(keysFile), { recursive: true });
  writeFileSync(keysFile, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}
