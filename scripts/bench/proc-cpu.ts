import { readdirSync, readFileSync } from 'node:fs';

/** CPU ticks (user + system, 1/100 s) per process group label, read from /proc. Linux only. */
export function cpuTicksByLabel(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const used = Number(fields[11]) + Number(fields[12]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const label = Number(pid) === process.pid ? 'load client' : labelOf(cmdline);
      ticks.set(label, (ticks.get(label) ?? 0) + used);
    } catch {
      // the process ended between listing and reading
    }
  }
  return ticks;
}

function labelOf(cmdline: string): string {
  const app = /apps\/([a-z-]+)\/src\/main\.ts/.exec(cmdline)?.[1];
  if (app) return app;
  if (cmdline.includes('kafka.Kafka')) return 'kafka';
  if (cmdline.includes('redis-server')) return 'redis';
  if (/postgres/.test(cmdline)) return 'postgres';
  return 'other';
}

/** Share of one core each label used between two snapshots taken `seconds` apart. */
export function coreShare(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: number,
) {
  return [...after]
    .map(([label, t]) => ({
      label,
      percentOfCore: Math.round((t - (before.get(label) ?? 0)) / seconds),
    }))
    .filter((r) => r.percentOfCore > 0)
    .sort((a, b) => b.percentOfCore - a.percentOfCore);
}
