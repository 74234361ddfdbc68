import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from './hash';
import { MIGRATIONS_DIR, migrate } from './migrate';
import { createTestDatabase, type TestDatabase } from './test-database';
import { loadMigrationList, openSchemaEngine } from './tools/schema-engine-wasm';

const INIT = '20261122000000_init';
/** Every migration folder, in the order they apply. */
const ALL = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const databases: TestDatabase[] = [];
const tempDirs: string[] = [];

async function freshDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase({ migrate: false });
  databases.push(t);
  return t;
}

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A copy of prisma/migrations we may edit. */
async function migrationsCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'asahi-migrations-'));
  tempDirs.push(dir);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()));
});

describe('migrate', () => {
  it('applies pending migrations once; a second run is a no-op', async () => {
    const { url } = await freshDatabase();
    expect(ALL[0]).toBe(INIT);
    expect(ALL.length).toBeGreaterThan(1);
    expect(await migrate(url, MIGRATIONS_DIR)).toEqual({ applied: ALL, alreadyApplied: [] });
    expect(await migrate(url, MIGRATIONS_DIR)).toEqual({ applied: [], alreadyApplied: ALL });
    const rows = await query(url, 'SELECT migration_name FROM _prisma_migrations');
    expect(rows).toHaveLength(ALL.length);
  });

  it('records rows the way Prisma does, in a table with Prisma’s exact shape', async () => {
    const { url } = await freshDatabase();
    await migrate(url, MIGRATIONS_DIR);
    const [row] = await query<Record<string, unknown>>(
      url,
      'SELECT * FROM _prisma_migrations WHERE migration_name = $1',
      [INIT],
    );
    const fileBytes = await readFile(join(MIGRATIONS_DIR, INIT, 'migration.sql'));
    expect(row).toMatchObject({
      migration_name: INIT,
      checksum: sha256Hex(fileBytes),
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 1,
    });
    expect(row?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row?.finished_at).toBeInstanceOf(Date);
    expect(row?.started_at).toBeInstanceOf(Date);

    const columns = await query(
      url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      {
        column_name: 'id',
        data_type: 'character varying',
        len: 36,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        len: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        len: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'logs',
        data_type: 'text',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        len: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);
  });

  it('refuses to run when an applied migration’s recorded checksum differs from the file', async () => {
    const { url } = await freshDatabase();
    await migrate(url, MIGRATIONS_DIR);
    await query(url, `UPDATE _prisma_migrations SET checksum = repeat('0', 64)`);
    await expect(migrate(url, MIGRATIONS_DIR)).rejects.toThrow(
      /modified after being applied: 20261122000000_init \(recorded 0{64}, file [0-9a-f]{64}\); /,
    );
    await expect(migrate(url, MIGRATIONS_DIR)).rejects.toMatchObject({
      code: 'conflict',
      details: { modified: ALL },
    });
  });

  it('names only the migration whose checksum differs, whichever it is', async () => {
    const { url } = await freshDatabase();
    await migrate(url, MIGRATIONS_DIR);
    const last = ALL[ALL.length - 1];
    await query(
      url,
      `UPDATE _prisma_migrations SET checksum = repeat('0', 64) WHERE migration_name = $1`,
      [last],
    );
    await expect(migrate(url, MIGRATIONS_DIR)).rejects.toMatchObject({
      code: 'conflict',
      details: { modified: [last] },
    });
  });

  it('refuses to run when an applied migration file was edited', async () => {
    const { url } = await freshDatabase();
    await migrate(url, MIGRATIONS_DIR);
    const dir = await migrationsCopy();
    await writeFile(
      join(dir, INIT, 'migration.sql'),
      `${await readFile(join(dir, INIT, 'migration.sql'), 'utf8')}\n-- edited\n`,
    );
    await expect(migrate(url, dir)).rejects.toMatchObject({
      code: 'conflict',
      details: { modified: [INIT] },
    });
  });

  it('accepts the same files checked out with CRLF line endings', async () => {
    const { url } = await freshDatabase();
    await migrate(url, MIGRATIONS_DIR);
    const dir = await migrationsCopy();
    for (const name of ALL) {
      const file = join(dir, name, 'migration.sql');
      const sql = await readFile(file, 'utf8');
      expect(sql).toContain('\n');
      await writeFile(file, sql.replace(/\n/g, '\r\n'));
    }
    expect(await migrate(url, dir)).toEqual({ applied: [], alreadyApplied: ALL });
  });

  it('brings a database migrated by an older release up to date, applying only the new folders', async () => {
    const { url } = await freshDatabase();
    const older = await mkdtemp(join(tmpdir(), 'asahi-migrations-'));
    tempDirs.push(older);
    await cp(join(MIGRATIONS_DIR, INIT), join(older, INIT), { recursive: true });
    expect(await migrate(url, older)).toEqual({ applied: [INIT], alreadyApplied: [] });
    expect(await migrate(url, MIGRATIONS_DIR)).toEqual({
      applied: ALL.slice(1),
      alreadyApplied: [INIT],
    });
    const rows = await query<{ migration_name: string }>(
      url,
      'SELECT migration_name FROM _prisma_migrations ORDER BY started_at',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(ALL);
  });

  it('refuses to build on a migration that started but never finished', async () => {
    const { url } = await freshDatabase();
    await migrate(url, MIGRATIONS_DIR);
    await query(
      url,
      `INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ('x', $1, '20990101000000_half')`,
      ['0'.repeat(64)],
    );
    await expect(migrate(url, MIGRATIONS_DIR)).rejects.toThrow(
      /20990101000000_half started but never finished/,
    );
  });

  it('rolls a failing migration back entirely and records nothing for it', async () => {
    const { url } = await freshDatabase();
    const dir = await migrationsCopy();
    await cp(join(dir, INIT), join(dir, '20990101000000_broken'), { recursive: true });
    await writeFile(
      join(dir, '20990101000000_broken', 'migration.sql'),
      'CREATE TABLE "half_done" (id int);\nSELECT 1/0;\n',
    );
    await expect(migrate(url, dir)).rejects.toThrow(
      /20990101000000_broken failed and was rolled back: division by zero/,
    );
    const names = await query<{ migration_name: string }>(
      url,
      'SELECT migration_name FROM _prisma_migrations',
    );
    expect(names.map((r) => r.migration_name).sort()).toEqual(ALL);
    const [table] = await query<{ t: string | null }>(
      url,
      `SELECT to_regclass('half_done')::text AS t`,
    );
    expect(table?.t).toBeNull();
  });

  it('lets concurrent starters race safely: one applies, the others find it applied', async () => {
    const { url } = await freshDatabase();
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(url, MIGRATIONS_DIR)));
    // The lock is held for the whole run, so one starter applies everything and no run interleaves.
    const appliers = results.filter((r) => r.applied.length > 0);
    expect(appliers).toEqual([{ applied: ALL, alreadyApplied: [] }]);
    expect(results.filter((r) => r.applied.length === 0)).toEqual(
      Array.from({ length: 3 }, () => ({ applied: [], alreadyApplied: ALL })),
    );
    expect(await query(url, 'SELECT 1 FROM _prisma_migrations')).toHaveLength(ALL.length);
  });
});

describe('compatibility with Prisma’s schema engine (`prisma migrate deploy`)', () => {
  const schemaPath = join(MIGRATIONS_DIR, '..', 'schema.prisma');
  const filters = { externalTables: [], externalEnums: [] };
  const engineFor = async (url: string) =>
    openSchemaEngine(url, schemaPath, await readFile(schemaPath, 'utf8'));

  it('the engine sees our history as up to date, and edits as edits', async () => {
    const { url } = await freshDatabase();
    await migrate(url, MIGRATIONS_DIR);
    const { engine, close } = await engineFor(url);
    try {
      const input = {
        migrationsList: await loadMigrationList(MIGRATIONS_DIR),
        optInToShadowDatabase: false,
        filters,
      };
      expect(await engine.diagnoseMigrationHistory(input)).toEqual({
        editedMigrationNames: [],
        failedMigrationNames: [],
        hasMigrationsTable: true,
        history: null,
      });
      expect(
        await engine.applyMigrations({ migrationsList: input.migrationsList, filters }),
      ).toEqual({ appliedMigrationNames: [] });
      await query(
        url,
        `UPDATE _prisma_migrations SET checksum = repeat('0', 64) WHERE migration_name = $1`,
        [INIT],
      );
      expect((await engine.diagnoseMigrationHistory(input)).editedMigrationNames).toEqual([INIT]);
      await query(url, `UPDATE _prisma_migrations SET checksum = repeat('0', 64)`);
      expect((await engine.diagnoseMigrationHistory(input)).editedMigrationNames).toEqual(ALL);
    } finally {
      await close();
    }
  }, 30_000);

  it('we wait for the engine’s lock, and then see the history it wrote as up to date', async () => {
    const { url } = await freshDatabase();
    const { engine, close } = await engineFor(url);
    try {
      const migrationsList = await loadMigrationList(MIGRATIONS_DIR);
      expect(await engine.applyMigrations({ migrationsList, filters })).toEqual({
        appliedMigrationNames: ALL,
      });
      // The engine's session still holds advisory lock 72707369: we must not get in.
      await expect(migrate(url, MIGRATIONS_DIR, () => {}, { lockTimeoutMs: 300 })).rejects.toThrow(
        /waiting for the migration lock/,
      );
    } finally {
      await close();
    }
    expect(await migrate(url, MIGRATIONS_DIR)).toEqual({ applied: [], alreadyApplied: ALL });
  }, 30_000);
});
