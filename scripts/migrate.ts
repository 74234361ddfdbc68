/**
 * `npm run db:migrate`: applies prisma/migrations to DATABASE_URL (or, when unset, the PostgreSQL
 * recorded by `npm run infra -- up`) with our offline migrator, which keeps Prisma's
 * `_prisma_migrations` bookkeeping so `prisma migrate deploy` stays usable where its engine exists.
 * Safe to run from several starting processes at once (they serialise on Prisma's advisory lock).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readInfraEndpoints } from '@asahi/local-infra';
import { generatePrismaClient } from './prisma-generate';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function databaseUrl(): string {
  const url = process.env.DATABASE_URL || readInfraEndpoints()?.databaseUrl;
  if (!url)
    throw new Error(
      'DATABASE_URL is not set and no local infra is running: set it, or run `npm run infra -- up`',
    );
  return url;
}

async function main(): Promise<void> {
  const url = databaseUrl();
  // @asahi/db's entry point loads the generated client, so make sure it exists (fast no-op when fresh).
  generatePrismaClient({ log: () => {} });
  const { migrate } = await import('@asahi/db');
  const result = await migrate(url, join(root, 'prisma', 'migrations'), (line) =>
    console.log(`[migrate] ${line}`),
  );
  console.log(
    `[migrate] done: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`,
  );
}

main().catch((err: unknown) => {
  console.error(`[migrate] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
