import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@asahi/errors';
import { sha256Hex } from './hash';

/** One folder of Prisma's migrations directory (`<timestamp>_<name>/migration.sql`). */
export interface MigrationFile {
  name: string;
  sql: string;
  /** sha256 hex of the file's bytes: what Prisma stores in `_prisma_migrations.checksum`. */
  checksum: string;
}

/**
 * Whether a recorded checksum belongs to this script. Like Prisma's schema engine we accept the
 * script with LF or CRLF line endings, because git may have converted them on checkout.
 */
export function checksumMatches(sql: string, recorded: string): boolean {
  const variants = [sql, sql.replace(/\r\n/g, '\n'), sql.replace(/\r?\n/g, '\r\n')];
  return variants.some((v) => sha256Hex(v) === recorded);
}

/** Reads every migration folder in name order (Prisma's order), checking the lock file's provider. */
export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  await assertPostgresLockfile(migrationsDir);
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const path = join(migrationsDir, name, 'migration.sql');
      const bytes = await readFile(path).catch((err: unknown) => {
        throw new AppError(
          'internal',
          `migration folder ${name} has no readable migration.sql (${path})`,
          { cause: err },
        );
      });
      return { name, sql: bytes.toString('utf8'), checksum: sha256Hex(bytes) };
    }),
  );
}

async function assertPostgresLockfile(migrationsDir: string): Promise<void> {
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  const text = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (text === undefined) return; // Prisma tolerates a missing lock file; so do we.
  const provider = /^\s*provider\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  if (provider && provider !== 'postgresql') {
    throw new AppError(
      'internal',
      `${lockPath} is for provider "${provider}", this migrator only applies postgresql migrations`,
    );
  }
}
