#!/usr/bin/env node
// First step of `npm start` and `npm test` on a fresh clone: install dependencies when missing
// or stale, then generate the Prisma client (offline). Plain Node: runs before anything is installed.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Asahi needs Node.js 20.19 or newer (found ${process.versions.node}).`);
  process.exit(1);
}

const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale =
  !existsSync(marker) ||
  (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  console.log('[bootstrap] installing dependencies (npm install, from package-lock.json)…');
  // Packages that would download binaries at install time are told not to: everything runs offline.
  const env = {
    ...process.env,
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    PRISMA_SKIP_POSTINSTALL_GENERATE: '1',
    NX_NO_CLOUD: 'true',
  };
  // `npm install` rather than `npm ci`: npm 11 leaves other platforms' optional packages (rollup,
  // msgpackr-extract) out of the lock it writes, and `npm ci` then rejects that same lock as out
  // of sync. With a lock present, `npm install` installs the locked versions.
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
}
execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'prisma-generate.ts')], {
  cwd: root,
  stdio: 'inherit',
});
