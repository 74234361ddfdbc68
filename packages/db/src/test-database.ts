import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from './client';
import { quoteIdent, withDatabase } from './connection-url';
import { MIGRATIONS_DIR, migrate } from './migrate';

/**
 * A throwaway database per test file, so integration tests run in parallel without sharing rows.
 * Created from DATABASE_URL (the runner's server; the role needs CREATEDB), migrated with our
 * migrator unless `migrate: false`, dropped by `drop()`.
 */
export interface TestDatabase {
  name: string;
  url: string;
  /** Connected lazily on first use, closed by drop(). */
  readonly db: Db;
  drop: () => Promise<void>;
}

export interface TestDatabaseOptions {
  migrate?: boolean;
  migrationsDir?: string;
}

export function adminDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must point at a PostgreSQL server for integration tests (`npm run infra -- up` starts one)');
  return url;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(opts: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = `asahi_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${quoteIdent(name)}`);
  const url = withDatabase(adminDatabaseUrl(), name);
  if (opts.migrate !== false) await migrate(url, opts.migrationsDir ?? MIGRATIONS_DIR);
  let db: Db | undefined;
  return {
    name,
    url,
    get db() {
      db ??= createDb(url, { poolMax: 5, applicationName: 'asahi-test' });
      return db;
    },
    drop: async () => {
      await db?.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },
  };
}
