import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive, sleep } from './process';

/**
 * `npm start` in one terminal and `npm test` in another (or parallel test workers) may call
 * infraUp at the same time; without a lock both would start their own Kafka on different ports.
 * The lock file holds the owner's pid so a crashed owner does not block everyone forever.
 */
export async function withLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  timeoutMs = 180_000,
): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  while (!tryAcquire(lockFile)) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${lockFile} (held by pid ${ownerOf(lockFile)}); delete it if that process is gone`,
      );
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function tryAcquire(lockFile: string): boolean {
  try {
    const fd = openSync(lockFile, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = ownerOf(lockFile);
  // Stale lock (owner died): break it and retry. An empty file may be an owner that has not written
  // its pid yet, so only treat it as stale once it is a few seconds old.
  const stale = owner ? owner !== process.pid && !isAlive(owner) : ageMs(lockFile) > 5_000;
  if (stale) rmSync(lockFile, { force: true });
  return false;
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function ownerOf(lockFile: string): number | undefined {
  try {
    return Number(readFileSync(lockFile, 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}
