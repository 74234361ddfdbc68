import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Driver, Launch, PrepareContext } from './driver';
import { aptInstall } from './install';
import { pickPort } from './ports';
import { spawnDetached, which } from './process';
import { pingRedis } from './redis-probe';

export const redisDriver: Driver = {
  component: 'redis',
  envVar: 'REDIS_URL',
  marker: (entry) => `redis-server 127.0.0.1:${entry.port}`, // redis rewrites its argv to this
  stopSignal: 'SIGTERM', // Redis saves its RDB snapshot and exits
  stopTimeoutMs: 15_000,
  probe: (url) => pingRedis(url),
  prepare: prepareRedis,
};

async function prepareRedis({ paths, prev, log }: PrepareContext): Promise<Launch> {
  const server = await findRedisServer(log);
  const port = await pickPort(prev?.port);
  const dataDir = join(paths.redis, 'data');
  const logFile = join(paths.redis, 'redis.log');
  mkdirSync(dataDir, { recursive: true });
  // Foreground mode (daemonize no) in a detached session: the pid we spawn is the server itself,
  // so `down` signals exactly it. All settings are flags: no config file to keep in sync.
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--daemonize',
    'no',
    '--dir',
    dataDir,
    '--logfile',
    logFile,
    '--save',
    '60 1000',
    '--appendonly',
    'no',
  ];
  return {
    entry: {
      source: 'local',
      startedByUs: true,
      port,
      url: `redis://127.0.0.1:${port}`,
      logFile,
      dataDir,
    },
    spawn: () =>
      spawnDetached(server, args, { logFile: join(paths.redis, 'redis.out'), cwd: dataDir }),
    tailFiles: [join(paths.redis, 'redis.out'), logFile],
    startupTimeoutMs: 20_000,
  };
}

/** Debian puts redis-server in /usr/bin; installing it is the one-time cost on a fresh machine. */
async function findRedisServer(log: (line: string) => void): Promise<string> {
  const extra = ['/usr/bin', '/usr/local/bin', '/usr/sbin'];
  const found = which('redis-server', extra);
  if (found) return found;
  await aptInstall('redis-server', log);
  const installed = which('redis-server', extra);
  if (!installed)
    throw new Error('redis-server still not found after installing the redis-server package');
  return installed;
}
