import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface AppProcessOptions {
  /** App folder name under apps/, e.g. `pipeline`. */
  app: string;
  /** A label for logs when several instances run (defaults to app). */
  label?: string;
  env: Record<string, string>;
  /** Base URL whose /ready must answer 200 before start() resolves. */
  readyUrl: string;
  logDir: string;
  readyTimeoutMs?: number;
}

export interface AppProcess {
  readonly label: string;
  /** Base URL of the app's HTTP server. */
  readonly url: string;
  readonly logFile: string;
  pid(): number | undefined;
  start(): Promise<void>;
  /** SIGTERM and wait for exit (SIGKILL after the grace period). */
  stop(graceMs?: number): Promise<void>;
  /** kill -9: no shutdown hooks run, as in a crash. */
  crash(): Promise<void>;
}

/** Children still running when this process exits are killed, so none is left orphaned. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** One app as a real OS process (`node --import tsx`), logs appended to a file. */
export function appProcess(options: AppProcessOptions): AppProcess {
  const label = options.label ?? options.app;
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${label}.log`);
  let child: ChildProcess | undefined;

  const waitExit = (c: ChildProcess) =>
    new Promise<void>((resolve) =>
      c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()),
    );

  return {
    label,
    url: options.readyUrl,
    logFile,
    pid: () => child?.pid,
    async start() {
      const log = createWriteStream(logFile, { flags: 'a' });
      await new Promise((r) => log.once('open', r));
      child = spawn(
        process.execPath,
        ['--import', 'tsx', join(REPO_ROOT, 'apps', options.app, 'src', 'main.ts')],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, ...options.env },
          stdio: ['ignore', log, log],
        },
      );
      const c = child;
      await waitReady(
        options.readyUrl,
        options.readyTimeoutMs ?? 60_000,
        () => c.exitCode !== null || c.signalCode !== null,
        logFile,
      );
    },
    async stop(graceMs = 15_000) {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await waitExit(c);
      clearTimeout(timer);
    },
    async crash() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGKILL');
      await waitExit(c);
    },
  };
}

async function waitReady(url: string, timeoutMs: number, exited: () => boolean, logFile: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new ExitedBeforeReadyError(logFile);
    try {
      // Bounded: a port held by something that accepts but never answers must not hang us.
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${url} (see ${logFile})`);
}

/** The child died during start-up; the message carries the end of its log (CI keeps no files). */
export class ExitedBeforeReadyError extends Error {
  constructor(readonly logFile: string) {
    super(
      `process exited before it was ready; see ${logFile}\n--- last lines ---\n${logTail(logFile)}`,
    );
    this.name = 'ExitedBeforeReadyError';
  }
}

function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
