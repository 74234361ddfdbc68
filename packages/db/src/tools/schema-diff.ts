/**
 * Prints migration SQL computed by Prisma's own schema engine (the WebAssembly build), i.e. what
 * `prisma migrate diff ... --script` prints, on machines where the CLI cannot download its native
 * schema-engine binary. Needs DATABASE_URL pointing at any PostgreSQL: diffing two datamodels
 * writes nothing, but the engine probes the server (version, schema) when it starts.
 *
 *   # the initial migration
 *   npx tsx packages/db/src/tools/schema-diff.ts --from-empty > prisma/migrations/<ts>_init/migration.sql
 *   # a later migration: diff the committed schema against the working copy
 *   git show HEAD:prisma/schema.prisma > /tmp/prev.prisma
 *   npx tsx packages/db/src/tools/schema-diff.ts --from-schema /tmp/prev.prisma > prisma/migrations/<ts>_<name>/migration.sql
 *
 * Options: --schema <path> (the target, default prisma/schema.prisma).
 * No `--from-migrations` (replay into a shadow database): introspecting a database through the pg
 * driver adapter fails in this engine version ("Column type 'char' could not be deserialized").
 */
import { resolve } from 'node:path';
import { diffSchemas } from './schema-engine-wasm';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fromSchema = option(args, '--from-schema');
  if (!fromSchema && !args.includes('--from-empty'))
    throw new Error('pass --from-empty or --from-schema <path>');
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl)
    throw new Error('set DATABASE_URL to any reachable PostgreSQL (it is only read)');
  const target = resolve(option(args, '--schema') ?? 'prisma/schema.prisma');
  process.stdout.write(await diffSchemas(databaseUrl, fromSchema && resolve(fromSchema), target));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof Error ? (err.stack ?? err.message) : JSON.stringify(err)}\n`,
  );
  process.exit(1);
});
