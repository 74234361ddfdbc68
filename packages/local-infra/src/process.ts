import { spawn, type SpawnOptions } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export interface DetachedOptions {
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/**
 * Starts a long-lived server that must outlive the CLI: its own session/process group (so Ctrl-C in
 * the terminal does not reach it and `down` can signal the whole group), stdio appended to a log
 * file (a pipe would break once we exit), and unref'd so Node does not wait for it.
 */
export function spawnDetached(cmd: string, args: string[], opts: DetachedOptions): number {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      uid: opts.uid,
      gid: opts.gid,
    });
    if (child.pid === undefined) throw new Error(`failed to spawn ${cmd}`);
    child.on('error', () => {}); // exit is detected by polling the pid
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number | undefined): pid is number {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM means it exists but belongs to someone else (still "alive").
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) is as good as dead for us.
  return procState(pid) !== 'Z';
}

function procState(pid: number): string | undefined {
  try {
    // The state letter follows the comm field "(name)", which may itself contain ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 1).trim()[0];
  } catch {
    return undefined;
  }
}

/**
 * Guards against pid reuse after a reboot or crash: a stale state file may point at an unrelated
 * process, which we must neither trust as "our server" nor kill.
 */
export function pidMatches(pid: number | undefined, marker: string): pid is number {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker);
  } catch {
    return true; // no /proc (non-Linux): trust the pid
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Asks the group leader to shut down cleanly, waits, then SIGKILLs the whole group (leader and any
 * helpers it forked) so `down` returns only once nothing of ours is left.
 */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<void> {
  signalSafe(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  // Also sweeps leftovers of a clean exit (e.g. postgres backends) still in the group.
  signalSafe(-pid, 'SIGKILL');
  const killDeadline = Date.now() + 10_000;
  while (isAlive(pid)) {
    if (Date.now() > killDeadline)
      throw new Error(`pid ${pid} survived SIGKILL (stuck in the kernel?)`);
    await sleep(50);
  }
}

function signalSafe(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

/** Locates an executable on PATH (plus extra dirs), like `which`. */
export function which(cmd: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const file = join(dir, cmd);
    try {
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface RunResult {
  status: number | null;
  output: string;
  error?: Error;
}

/**
 * Short-lived helper commands (initdb, mvn, java -version...): output captured, never a shell.
 * Async rather than spawnSync so the three components really start in parallel.
 */
export function run(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', (error) => resolve({ status: null, output, error }));
    child.once('close', (status) => resolve({ status, output }));
  });
}

/** Output tail (and spawn error) of a failed helper command, for error messages. */
export function outputOf(result: RunResult, lines = 20): string {
  const text = result.output.trim().split('\n').slice(-lines).join('\n');
  return result.error ? `${result.error.message}\n${text}` : text;
}

/** Last lines of a log file, appended to error messages so failures are diagnosable from the CLI. */
export function tailFile(file: string | undefined, lines = 30): string {
  if (!file || !existsSync(file)) return '(no log file)';
  // Only the end matters and Kafka's log can grow large: read at most the last 64 KiB.
  const size = statSync(file).size;
  const length = Math.min(size, 64 * 1024);
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export const isRoot = () => process.getuid?.() === 0;
