import type { Driver, Log } from './driver';
import type { InfraPaths } from './paths';
import { pidMatches, sleep, stopProcess } from './process';
import { readState, saveComponent } from './state';
import type { ComponentState, ComponentStatus } from './types';
import { waitUntilHealthy } from './wait';

export interface UpResult {
  url: string;
  started: boolean;
}

/** How long an already-running-but-not-yet-healthy server (e.g. still booting) gets before a restart. */
const GRACE_MS = 20_000;

/**
 * Env var → use it, start nothing. Our server alive and healthy → reuse it (the fast path).
 * Otherwise (never started, stopped, stale pid, or hung) → start a fresh one on the same ports.
 */
export async function ensureUp(driver: Driver, paths: InfraPaths, log: Log): Promise<UpResult> {
  const { component, envVar } = driver;
  const prev = readState(paths.stateFile).components[component];
  const envUrl = process.env[envVar];
  if (envUrl) {
    // Never overwrite our own entry: it holds the ports to reuse and maybe a server `down` must stop.
    if (prev?.source !== 'local')
      saveComponent(paths.stateFile, component, { source: 'env', startedByUs: false, url: envUrl });
    log(`${component}: using ${envVar}=${envUrl} (provided, not managed)`);
    return { url: envUrl, started: false };
  }
  const local = prev?.source === 'local' ? prev : undefined;
  if (local && pidMatches(local.pid, driver.marker(local))) {
    if (await healthyWithin(driver, local.url, GRACE_MS)) {
      log(`${component}: already running at ${local.url} (pid ${local.pid})`);
      return { url: local.url, started: false };
    }
    log(`${component}: pid ${local.pid} is not healthy; restarting it`);
    await stopProcess(local.pid, driver.stopSignal, driver.stopTimeoutMs);
  } else if (local?.pid) {
    log(`${component}: stale state (pid ${local.pid} is gone); starting a new server`);
  }
  const entry = await startFresh(driver, paths, local, log);
  log(`${component}: started at ${entry.url} (pid ${entry.pid}, log ${entry.logFile})`);
  return { url: entry.url, started: true };
}

async function healthyWithin(driver: Driver, url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  do {
    if (await driver.probe(url)) return true;
    await sleep(500);
  } while (Date.now() < deadline);
  return false;
}

async function startFresh(
  driver: Driver,
  paths: InfraPaths,
  prev: ComponentState | undefined,
  log: Log,
): Promise<ComponentState> {
  const launch = await driver.prepare({ paths, prev, log });
  log(`${driver.component}: starting on port ${launch.entry.port}...`);
  const pid = launch.spawn();
  const entry: ComponentState = { ...launch.entry, pid, startedAt: new Date().toISOString() };
  // Record the pid before waiting so `down` can still clean up if this `up` is interrupted.
  saveComponent(paths.stateFile, driver.component, entry);
  try {
    const readyUrl = launch.readyUrl ?? entry.url;
    const probe = () => driver.probe(readyUrl);
    await waitUntilHealthy({
      name: driver.component,
      pid,
      probe,
      timeoutMs: launch.startupTimeoutMs,
      tailFiles: launch.tailFiles,
    });
    await launch.afterReady?.();
  } catch (err) {
    await stopProcess(pid, driver.stopSignal, driver.stopTimeoutMs);
    saveComponent(paths.stateFile, driver.component, { ...entry, pid: undefined });
    throw err;
  }
  return entry;
}

/**
 * Stops our server and keeps its entry (minus pid) so the next `up` reuses the same ports.
 * Resolves true when a running process was actually stopped.
 */
export async function stopComponent(driver: Driver, paths: InfraPaths, log: Log): Promise<boolean> {
  const entry = readState(paths.stateFile).components[driver.component];
  if (!entry || entry.source !== 'local' || !entry.startedByUs) return false;
  const pid = entry.pid;
  const running = pidMatches(pid, driver.marker(entry));
  if (running) {
    log(`${driver.component}: stopping pid ${pid}...`);
    await stopProcess(pid, driver.stopSignal, driver.stopTimeoutMs);
    log(`${driver.component}: stopped`);
  }
  saveComponent(paths.stateFile, driver.component, {
    ...entry,
    pid: undefined,
    startedAt: undefined,
  });
  return running;
}

export async function statusOf(driver: Driver, paths: InfraPaths): Promise<ComponentStatus> {
  const entry = readState(paths.stateFile).components[driver.component];
  const envUrl = process.env[driver.envVar];
  const component = driver.component;
  if (envUrl) {
    // Not our process: reachability is all we can tell, so `running` mirrors `healthy`.
    const healthy = await driver.probe(envUrl);
    return { component, source: 'env', startedByUs: false, running: healthy, healthy, url: envUrl };
  }
  if (!entry || entry.source !== 'local')
    return { component, source: 'none', startedByUs: false, running: false, healthy: false };
  const running = pidMatches(entry.pid, driver.marker(entry));
  const healthy = running && (await driver.probe(entry.url));
  return {
    component,
    source: 'local',
    startedByUs: entry.startedByUs,
    running,
    healthy,
    url: entry.url,
    pid: running ? entry.pid : undefined,
    logFile: entry.logFile,
  };
}
