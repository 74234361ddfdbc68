/**
 * `npm run db:generate`: generates the Prisma client into packages/db/src/generated/prisma
 * (git-ignored). Prisma 7's client is TypeScript + a Wasm query compiler, so generation needs no
 * engine binary, but the CLI still resolves the native schema engine at start-up and would try to
 * download it; pointing PRISMA_SCHEMA_ENGINE_BINARY at a placeholder keeps it offline.
 * Skips work when the generated client is newer than its inputs (`--force` to regenerate).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = join(root, 'prisma', 'schema.prisma');
const generatedEntry = join(root, 'packages', 'db', 'src', 'generated', 'prisma', 'client.ts');
const requireFromDb = createRequire(join(root, 'packages', 'db', 'package.json'));

export interface GenerateOptions {
  force?: boolean;
  log?: (line: string) => void;
}

/** Fresh = generated after the schema, the config and the installed Prisma CLI last changed. */
export function isPrismaClientFresh(): boolean {
  if (!existsSync(generatedEntry)) return false;
  const inputs = [
    schemaPath,
    join(root, 'prisma.config.ts'),
    requireFromDb.resolve('prisma/package.json'),
  ];
  const newestInput = Math.max(
    ...inputs.filter((p) => existsSync(p)).map((p) => statSync(p).mtimeMs),
  );
  return statSync(generatedEntry).mtimeMs > newestInput;
}

/** A stand-in engine binary that explains itself if some command does try to run it. */
function placeholderEngine(): string {
  const path = join(root, '.asahi', 'prisma', 'schema-engine-placeholder');
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const script = [
      '#!/bin/sh',
      'echo "The native Prisma schema engine is not installed here (placeholder from scripts/prisma-generate.ts)." >&2',
      'echo "Apply migrations with: npm run db:migrate" >&2',
      'exit 1',
      '',
    ].join('\n');
    writeFileSync(path, script);
    chmodSync(path, 0o755);
  }
  return path;
}

export function generatePrismaClient(opts: GenerateOptions = {}): { generated: boolean } {
  const log = opts.log ?? ((line: string) => console.log(line));
  if (!opts.force && isPrismaClientFresh()) {
    log('prisma client is up to date (use --force to regenerate)');
    return { generated: false };
  }
  const cli = requireFromDb.resolve('prisma/build/index.js');
  const env = {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || placeholderEngine(),
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  };
  const result = spawnSync(process.execPath, [cli, 'generate', '--schema', schemaPath], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `prisma generate failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  log(`prisma client generated into ${dirname(generatedEntry)}`);
  return { generated: true };
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  try {
    generatePrismaClient({ force: process.argv.includes('--force') });
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
