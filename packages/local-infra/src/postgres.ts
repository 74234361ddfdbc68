import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Driver, Launch, Log, PrepareContext } from './driver';
import { aptInstall } from './install';
import { probePostgres } from './pg-probe';
import { pickPort } from './ports';
import { isRoot, outputOf, run, spawnDetached, which } from './process';

const DATABASE = 'asahi';

export const postgresDriver: Driver = {
  component: 'postgres',
  envVar: 'DATABASE_URL',
  marker: (entry) => `postgres -D ${entry.dataDir}`,
  stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM ("smart") would wait for every client to leave
  stopTimeoutMs: 30_000,
  probe: async (url) => (await probePostgres(url)).ok,
  prepare: preparePostgres,
};

/** Who runs the server: PostgreSQL refuses to run as root, so root delegates to `postgres`. */
interface RunAs {
  uid?: number;
  gid?: number;
}

async function preparePostgres({ paths, prev, log }: PrepareContext): Promise<Launch> {
  const bin = await findPgBinDir(log);
  const owner = serverUser();
  const dataDir = join(paths.postgres, 'data');
  const socketDir = join(paths.postgres, 'run');
  const logFile = join(paths.postgres, 'postgres.log');
  for (const dir of [paths.postgres, socketDir]) ensureOwnedDir(dir, owner);
  await initCluster(bin, dataDir, owner, log);
  const port = await pickPort(prev?.port);
  const url = `postgresql://postgres@127.0.0.1:${port}/${DATABASE}`;
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-h',
    '127.0.0.1',
    '-k',
    socketDir,
    '-c',
    'max_connections=200',
    '-c',
    'synchronous_commit=off',
  ];
  return {
    entry: { source: 'local', startedByUs: true, port, url, logFile, dataDir },
    spawn: () =>
      spawnDetached(join(bin, 'postgres'), args, { logFile, cwd: paths.postgres, ...owner }),
    tailFiles: [logFile],
    startupTimeoutMs: 30_000,
    // The built-in `postgres` database exists from initdb on; ours is created once the server is up.
    readyUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    afterReady: () => ensureDatabase(bin, port, url, log),
  };
}

function serverUser(): RunAs {
  if (!isRoot()) return {};
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid)
    throw new Error('running as root but no `postgres` OS user exists: useradd --system postgres');
  return { uid: Number(uid), gid: Number(gid) };
}

function ensureOwnedDir(dir: string, owner: RunAs): void {
  mkdirSync(dir, { recursive: true });
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid ?? owner.uid);
}

/** initdb once; a dir without PG_VERSION is a previous initdb that died half-way: start over. */
async function initCluster(bin: string, dataDir: string, owner: RunAs, log: Log): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  rmSync(dataDir, { recursive: true, force: true });
  log('postgres: initdb (one-time)...');
  // Trust auth is acceptable because the server only listens on 127.0.0.1 and a private socket dir.
  const args = [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ];
  const result = await run(join(bin, 'initdb'), args, { ...owner, cwd: dirname(dataDir) });
  if (result.status !== 0) {
    const hint =
      owner.uid !== undefined
        ? ' (the postgres user needs access to every parent dir of .asahi; set ASAHI_HOME elsewhere otherwise)'
        : '';
    throw new Error(`initdb failed${hint}:\n${outputOf(result)}`);
  }
}

async function ensureDatabase(bin: string, port: number, url: string, log: Log): Promise<void> {
  const probe = await probePostgres(url);
  if (probe.ok || probe.code !== '3D000') return; // exists, or a transient error the health check reports
  log(`postgres: creating database ${DATABASE}`);
  const result = await run(join(bin, 'createdb'), [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'postgres',
    DATABASE,
  ]);
  if (result.status !== 0) throw new Error(`createdb ${DATABASE} failed:\n${outputOf(result)}`);
}

/**
 * The dir holding initdb, postgres and createdb. /usr/local/bin may only hold symlinks to some of
 * them, so follow initdb's symlink to the real bin dir; then try Debian's versioned dirs (newest
 * first); install the `postgresql` package as a last resort.
 */
async function findPgBinDir(log: Log): Promise<string> {
  const found = pgBinCandidates().find((dir) =>
    ['initdb', 'postgres', 'createdb'].every((b) => existsSync(join(dir, b))),
  );
  if (found) return found;
  await aptInstall('postgresql', log);
  const installed = pgBinCandidates().find((dir) => existsSync(join(dir, 'initdb')));
  if (!installed)
    throw new Error(
      'PostgreSQL binaries (initdb, postgres) still not found after installing postgresql',
    );
  return installed;
}

function pgBinCandidates(): string[] {
  const dirs: string[] = [];
  const initdb = which('initdb', ['/usr/local/bin']);
  if (initdb) dirs.push(dirname(realpathSync(initdb)));
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => join(debianRoot, v, 'bin')));
  }
  return dirs;
}
