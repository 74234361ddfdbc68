/**
 * Loads Prisma's schema engine compiled to WebAssembly (`@prisma/schema-engine-wasm`, a dev
 * dependency). The Prisma 7 CLI only drives the native engine binary, which it downloads on first
 * use; this build runs offline and drives PostgreSQL through the pg driver adapter instead.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type * as SchemaEngineModule from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { parseDatabaseUrl } from '../connection-url';

type WasmBindings = typeof SchemaEngineModule;
export type SchemaEngineWasm = Awaited<ReturnType<WasmBindings['SchemaEngine']['new']>>;
export type MigrationList = Parameters<SchemaEngineWasm['applyMigrations']>[0]['migrationsList'];

const require = createRequire(import.meta.url);
/** The slice of the WebAssembly JS API we use (our tsconfig has no DOM lib, which declares it). */
type WasmExports = Record<string, unknown>;
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: {
    instantiate(
      bytes: Uint8Array,
      imports: object,
    ): Promise<{ instance: { exports: WasmExports } }>;
  };
};
let bindings: Promise<WasmBindings> | undefined;

/** Node cannot `import` a .wasm file as an ES module, so the wasm-bindgen glue is wired by hand. */
async function instantiate(): Promise<WasmBindings> {
  const pkgDir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const glue = (await import(join(pkgDir, 'schema_engine_bg.js'))) as WasmBindings & {
    __wbg_set_wasm: (exports: WasmExports) => void;
  };
  const bytes = await readFile(join(pkgDir, 'schema_engine_bg.wasm'));
  const { instance } = await wasmApi.instantiate(bytes, { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue;
}

export interface OpenedSchemaEngine {
  engine: SchemaEngineWasm;
  /**
   * Ends the engine's connections. The engine keeps Prisma's migration advisory lock for as long
   * as its session lives (the CLI simply exits), so close it before anything else migrates.
   */
  close: () => Promise<void>;
}

/**
 * An engine bound to `databaseUrl` and the given schema file. Even commands that never touch the
 * database (diffing two datamodels) probe the server once at start, so the URL must be reachable.
 */
export async function openSchemaEngine(
  databaseUrl: string,
  schemaPath: string,
  schema: string,
): Promise<OpenedSchemaEngine> {
  bindings ??= instantiate();
  const wasm = await bindings;
  const { connectionString, schema: pgSchema } = parseDatabaseUrl(databaseUrl);
  const pool = new pg.Pool({ connectionString, max: 2 });
  pool.on('error', () => {});
  const adapter = bindMigrationAwareSqlAdapterFactory(
    new PrismaPg(pool, pgSchema ? { schema: pgSchema } : undefined),
  );
  const engine = await wasm.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    () => {},
    adapter,
  );
  return { engine, close: () => pool.end() };
}

/** The migrations folder in the shape the engine's migrate commands take. */
export async function loadMigrationList(migrationsDir: string): Promise<MigrationList> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: {
          tag: 'ok' as const,
          value: await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8'),
        },
      },
    })),
  );
  const lockContent = await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8').catch(
    () => null,
  );
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

type DiffParams = Parameters<SchemaEngineWasm['diff']>[0];
type DiffTarget = DiffParams['from'];

async function schemaTarget(path: string): Promise<DiffTarget> {
  return { tag: 'schemaDatamodel', files: [{ path, content: await readFile(path, 'utf8') }] };
}

/** What `prisma migrate diff --from-empty|--from-schema <from> --to-schema <to> --script` prints. */
export async function diffSchemas(
  databaseUrl: string,
  fromSchemaPath: string | undefined,
  toSchemaPath: string,
): Promise<string> {
  const { engine, close } = await openSchemaEngine(
    databaseUrl,
    toSchemaPath,
    await readFile(toSchemaPath, 'utf8'),
  );
  try {
    const result = await engine.diff({
      from: fromSchemaPath ? await schemaTarget(fromSchemaPath) : { tag: 'empty' },
      to: await schemaTarget(toSchemaPath),
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    } as DiffParams);
    return result.stdout ?? '';
  } finally {
    await close();
  }
}
