import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from './client';
import { quoteIdent, withDatabase } from './connection-url';
import { MIGRATIONS_DIR, migrate } from './migrate';

/**
 * A throwaway database per test file, so integration tests run in parallel without sharing rows.
 * Created on the server of the admin URL (default DATABASE_URL; the role needs CREATEDB), migrated
 * with our migrator unless `migrate: false`, dropped by `drop()`.
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
  if (!url) {
    throw new Error(
      'DATABASE_URL must point at a PostgreSQL server for integration tests (`npm run infra -- up` starts one)',
    );
  }
  return url;
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `adminUrl` (any database on the server) defaults to DATABASE_URL. */
export async function createTestDatabase(
  adminUrl?: string,
  opts?: TestDatabaseOptions,
): Promise<TestDatabase>;
export async function createTestDatabase(opts?: TestDatabaseOptions): Promise<TestDatabase>;
export async function createTestDatabase(
  first?: string | TestDatabaseOptions,
  second: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const adminUrl = typeof first === 'string' ? first : adminDatabaseUrl();
  const opts = typeof first === 'object' ? first : second;
  const name = `asahi_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${quoteIdent(name)}`);
  const url = withDatabase(adminUrl, name);
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
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },
  };
}
