import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@asahi/errors';
import pg from 'pg';
import { parseDatabaseUrl, quoteIdent } from './connection-url';
import { checksumMatches, readMigrations, type MigrationFile } from './migration-files';

/**
 * Applies Prisma-format migrations without Prisma's native schema engine, bookkeeping in Prisma's
 * own `_prisma_migrations` table so `prisma migrate deploy` / `migrate status` keep working on
 * machines that have the engine. Differences from the engine, on purpose:
 *  - each migration runs inside one transaction with its bookkeeping row, so a failure leaves
 *    nothing behind (Postgres DDL is transactional); migration files must therefore not contain
 *    BEGIN/COMMIT or statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY);
 *  - an applied migration whose file changed is refused (the engine only warns in `migrate dev`).
 */
export type MigrateLog = (line: string) => void;

export interface MigrateOptions {
  /** How long to wait for another migrator holding the lock. Default 60 s. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

/** prisma/migrations of this repository, for apps and tests that migrate at start. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

/** The advisory lock key Prisma's schema engine takes, so we and `migrate deploy` exclude each other. */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

/** Prisma's DDL for its bookkeeping table, verbatim (sql-schema-connector, postgres flavour). */
export const PRISMA_MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

interface RecordedMigration {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
}

export async function migrate(
  databaseUrl: string,
  migrationsDir: string,
  log: MigrateLog = () => {},
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const files = await readMigrations(migrationsDir);
  const { connectionString, schema } = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString, application_name: 'asahi-migrate' });
  await client.connect();
  try {
    if (schema) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    }
    await acquireLock(client, options.lockTimeoutMs ?? 60_000, log);
    try {
      return await applyPending(client, files, log);
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY])
        .catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function applyPending(
  client: pg.Client,
  files: MigrationFile[],
  log: MigrateLog,
): Promise<MigrateResult> {
  await ensureMigrationsTable(client);
  const { rows } = await client.query<RecordedMigration>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at, started_at FROM _prisma_migrations ORDER BY started_at',
  );
  const applied = checkHistory(files, rows, log);
  const pending = files.filter((f) => !applied.has(f.name));
  for (const file of pending) {
    await applyOne(client, file);
    log(`applied migration ${file.name}`);
  }
  if (pending.length === 0) log(`database is up to date (${files.length} migrations)`);
  return {
    applied: pending.map((f) => f.name),
    alreadyApplied: files.filter((f) => applied.has(f.name)).map((f) => f.name),
  };
}

async function ensureMigrationsTable(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists",
  );
  if (!rows[0]?.exists) await client.query(PRISMA_MIGRATIONS_TABLE_DDL);
}

/**
 * Returns the names of applied migrations, after refusing a history we must not build on:
 * an unfinished migration (Prisma's P3009 situation) or an applied migration whose file changed.
 */
function checkHistory(
  files: MigrationFile[],
  rows: RecordedMigration[],
  log: MigrateLog,
): Set<string> {
  const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed.length > 0) {
    const names = failed.map((r) => r.migration_name).join(', ');
    throw new AppError(
      'conflict',
      `migration(s) ${names} started but never finished. Inspect the database, then run ` +
        '`prisma migrate resolve --rolled-back <name>` (or `--applied <name>`), or delete the row from _prisma_migrations.',
      { details: { failed: failed.map((r) => r.migration_name) } },
    );
  }
  const recorded = new Map(
    rows
      .filter((r) => r.finished_at !== null && r.rolled_back_at === null)
      .map((r) => [r.migration_name, r.checksum]),
  );
  const local = new Map(files.map((f) => [f.name, f]));
  const modified = [...recorded].filter(([name, checksum]) => {
    const file = local.get(name);
    return file !== undefined && !checksumMatches(file.sql, checksum);
  });
  if (modified.length > 0) {
    const list = modified
      .map(
        ([name, checksum]) => `${name} (recorded ${checksum}, file ${local.get(name)?.checksum})`,
      )
      .join('; ');
    throw new AppError(
      'conflict',
      `applied migration(s) were modified after being applied: ${list}. Restore the original migration.sql ` +
        'and put the change in a new migration.',
      { details: { modified: modified.map(([name]) => name) } },
    );
  }
  for (const name of recorded.keys()) {
    if (!local.has(name))
      log(
        `warning: migration ${name} is recorded in the database but missing from the migrations folder`,
      );
  }
  return new Set(recorded.keys());
}

/** Same steps as Prisma (started row, script, finished row), but inside one transaction. */
async function applyOne(client: pg.Client, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    await client.query(
      'INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ($1, $2, $3)',
      [id, file.checksum, file.name],
    );
    await client.query(file.sql);
    await client.query(
      'UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1',
      [id],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    const reason = err instanceof Error ? err.message : String(err);
    throw new AppError('internal', `migration ${file.name} failed and was rolled back: ${reason}`, {
      cause: err,
    });
  }
}

/** Polls instead of blocking in pg_advisory_lock so a stuck holder turns into a clear error. */
async function acquireLock(client: pg.Client, timeoutMs: number, log: MigrateLog): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [PRISMA_MIGRATE_LOCK_KEY],
    );
    if (rows[0]?.locked) return;
    if (Date.now() >= deadline) {
      throw new AppError(
        'unavailable',
        `timed out after ${timeoutMs} ms waiting for the migration lock (pg advisory lock ${PRISMA_MIGRATE_LOCK_KEY})`,
      );
    }
    if (!announced) log('another migrator holds the migration lock; waiting');
    announced = true;
    await sleep(100);
  }
}
