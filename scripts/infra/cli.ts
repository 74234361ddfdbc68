/**
 * `npm run infra -- up|down|status`: local Kafka, Redis and PostgreSQL for dev and tests.
 * Imported by relative path (not `@asahi/local-infra`) so it works even before the workspace
 * symlinks exist.
 */
import {
  infraDown,
  infraEnv,
  infraStatus,
  infraUp,
  type Component,
} from '../../packages/local-infra/src/index';

const USAGE = 'usage: npm run infra -- up | down [kafka|redis|postgres...] | status [--json]';
const log = (line: string) => console.log(`[infra] ${line}`);

async function up(): Promise<void> {
  const t0 = Date.now();
  const endpoints = await infraUp({ log });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  log(
    endpoints.started.length
      ? `started ${endpoints.started.join(', ')} in ${seconds}s`
      : `all up (${seconds}s)`,
  );
  for (const [key, value] of Object.entries(infraEnv(endpoints))) console.log(`${key}=${value}`);
}

async function down(only: string[]): Promise<void> {
  const invalid = only.filter((c) => !['kafka', 'redis', 'postgres'].includes(c));
  if (invalid.length) throw new Error(`unknown component(s): ${invalid.join(', ')}\n${USAGE}`);
  const stopped = await infraDown({ log, only: only.length ? (only as Component[]) : undefined });
  log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing of ours was running');
}

async function status(json: boolean): Promise<boolean> {
  const result = await infraStatus();
  if (json) console.log(JSON.stringify(result, null, 2));
  for (const c of json ? [] : result.components) {
    const health = c.healthy
      ? 'healthy'
      : c.source === 'env'
        ? 'UNREACHABLE'
        : c.running
          ? 'UNHEALTHY'
          : c.source === 'none'
            ? 'not started'
            : 'DOWN';
    const origin =
      c.source === 'env'
        ? 'from env'
        : c.source === 'local'
          ? `local${c.pid ? ` pid ${c.pid}` : ''}`
          : '';
    console.log(
      `${c.component.padEnd(9)} ${health.padEnd(11)} ${(c.url ?? '-').padEnd(45)} ${origin}`,
    );
  }
  if (!json) console.log(`state: ${result.stateFile}`);
  return result.components.every((c) => c.healthy);
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'up') await up();
  else if (cmd === 'down') await down(rest);
  else if (cmd === 'status') return (await status(rest.includes('--json'))) ? 0 : 1;
  else {
    console.error(USAGE);
    return 2;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[infra] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
