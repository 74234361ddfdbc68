import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { parseDatabaseUrl } from './connection-url';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient } from './generated/prisma/client';

export interface CreateDbOptions {
  /** Max connections in the pool. Default 10 (pg's default). */
  poolMax?: number;
  /** Shown in pg_stat_activity, to tell services apart. */
  applicationName?: string;
  /**
   * Errors of idle pooled connections (server restart, network drop). The pool replaces the
   * connection by itself; without a listener Node would crash on the 'error' event.
   */
  onPoolError?: (err: Error) => void;
}

export interface Db {
  prisma: PrismaClient;
  /** The one pg pool the client runs on; also usable for LISTEN/NOTIFY or raw pg work. */
  pool: pg.Pool;
  /** Disconnects the client and ends the pool; safe to call more than once. */
  close: () => Promise<void>;
}

/**
 * Prisma 7 has no query engine process: the generated client compiles queries with Wasm and runs
 * them through a driver adapter. We hand the adapter our own pg pool so there is exactly one pool
 * per process and its size is ours to choose.
 */
export function createDb(databaseUrl: string, opts: CreateDbOptions = {}): Db {
  const { connectionString, schema } = parseDatabaseUrl(databaseUrl);
  const pool = new pg.Pool({
    connectionString,
    max: opts.poolMax ?? 10,
    application_name: opts.applicationName ?? 'asahi',
    // Raw SQL and the client agree on UTC (only matters for timestamp-without-time-zone values).
    options: schema ? `-c search_path=${schema} -c TimeZone=UTC` : '-c TimeZone=UTC',
  });
  pool.on('error', opts.onPoolError ?? (() => {}));
  const adapter = new PrismaPg(pool, schema ? { schema } : undefined);
  const prisma = new PrismaClient({ adapter });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await prisma.$disconnect();
      await pool.end();
    })();
    return closing;
  };
  return { prisma, pool, close };
}
