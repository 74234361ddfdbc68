/**
 * Prints migration SQL computed by Prisma's own schema engine (the WebAssembly build,
 * `@prisma/schema-engine-wasm`), i.e. exactly what `prisma migrate diff ... --script` prints, on
 * machines where the CLI cannot download its native schema-engine binary. It needs DATABASE_URL
 * pointing at any PostgreSQL (read only: the engine probes the server version at start).
 *
 *   # the initial migration
 *   npx tsx packages/db/src/tools/schema-diff.ts --from-empty > prisma/migrations/<ts>_init/migration.sql
 *   # a later migration: diff the committed schema against the working copy
 *   git show HEAD:prisma/schema.prisma > /tmp/prev.prisma
 *   npx tsx packages/db/src/tools/schema-diff.ts --from-schema /tmp/prev.prisma > prisma/migrations/<ts>_<name>/migration.sql
 *
 * Options: --schema <path> (target, default prisma/schema.prisma).
 * `--from-migrations` (replay on a shadow database) is not offered: introspecting a database through
 * the pg driver adapter fails in this engine version ("Column type 'char' could not be deserialized").
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

type WasmBindings = typeof import('@prisma/schema-engine-wasm');
type Engine = Awaited<ReturnType<WasmBindings['SchemaEngine']['new']>>;
type DiffParams = Parameters<Engine['diff']>[0];
type DiffTarget = DiffParams['from'];

const require = createRequire(import.meta.url);

/** Node cannot `import` a .wasm file as an ES module, so the wasm-bindgen glue is wired by hand. */
async function loadSchemaEngine(): Promise<WasmBindings> {
  const pkgDir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const glue = (await import(join(pkgDir, 'schema_engine_bg.js'))) as WasmBindings & {
    __wbg_set_wasm: (exports: WebAssembly.Exports) => void;
  };
  const bytes = await readFile(join(pkgDir, 'schema_engine_bg.wasm'));
  const imports = { './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports };
  const { instance } = await WebAssembly.instantiate(bytes, imports);
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue;
}

async function schemaTarget(path: string): Promise<DiffTarget> {
  return { tag: 'schemaDatamodel', files: [{ path, content: await readFile(path, 'utf8') }] };
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function diffSchemas(databaseUrl: string, fromSchemaPath: string | undefined, toSchemaPath: string): Promise<string> {
  const wasm = await loadSchemaEngine();
  // Diffing two datamodels changes nothing in the database, but the engine is built around a
  // driver adapter and probes the server once at start (schema exists, version()), so it needs a
  // reachable PostgreSQL; any database will do, it is only read.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(databaseUrl));
  const toSchema = await readFile(toSchemaPath, 'utf8');
  const engine = await wasm.SchemaEngine.new({ datamodels: [[toSchemaPath, toSchema]] }, () => {}, adapter);
  const from: DiffTarget = fromSchemaPath ? await schemaTarget(fromSchemaPath) : { tag: 'empty' };
  const params: DiffParams = {
    from,
    to: await schemaTarget(toSchemaPath),
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  } as DiffParams;
  const result = await engine.diff(params);
  return result.stdout ?? '';
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fromSchema = option(args, '--from-schema');
  if (!fromSchema && !args.includes('--from-empty')) {
    throw new Error('pass --from-empty or --from-schema <path>');
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('set DATABASE_URL to any reachable PostgreSQL (it is only read)');
  const sql = await diffSchemas(databaseUrl, fromSchema && resolve(fromSchema), resolve(option(args, '--schema') ?? 'prisma/schema.prisma'));
  process.stdout.write(sql);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : JSON.stringify(err)}\n`);
  process.exit(1);
});
