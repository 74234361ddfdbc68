import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repo root is the nearest ancestor whose package.json declares workspaces. We resolve it from
 * this module's location (not cwd) so `npm run infra` from any sub-directory and test workers
 * launched elsewhere all agree on the same `.asahi` directory.
 */
export function findRepoRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && 'workspaces' in readJson(pkg)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`could not find the monorepo root above ${start}`);
    dir = parent;
  }
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** `.asahi` (git-ignored) holds all caches, data dirs, logs and the state file; ASAHI_HOME overrides it. */
export function asahiHome(): string {
  const override = process.env.ASAHI_HOME;
  return override ? resolve(override) : join(findRepoRoot(), '.asahi');
}

export function infraPaths(home = asahiHome()) {
  return {
    home,
    repoRoot: findRepoRoot(),
    stateDir: join(home, 'infra'),
    stateFile: join(home, 'infra', 'state.json'),
    lockFile: join(home, 'infra', 'lock'),
    kafka: join(home, 'kafka'),
    redis: join(home, 'redis'),
    postgres: join(home, 'postgres'),
  };
}

export type InfraPaths = ReturnType<typeof infraPaths>;
