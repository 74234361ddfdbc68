/**
 * `npm test`: bring up real Kafka, Redis and PostgreSQL (unless provided through env vars),
 * typecheck and lint, run the unit, integration and end-to-end projects, then stop exactly what
 * this run started. Exit code is vitest's (or the first failing step's).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { infraDown, infraEnv, infraUp } from '@asahi/local-infra';
import { REPO_ROOT } from '@asahi/testing';

const log = (line: string) => console.log(`[test] ${line}`);
const args = process.argv.slice(2);

function run(label: string, cmd: string, cmdArgs: string[], env: NodeJS.ProcessEnv = process.env): number {
  log(`${label}: ${cmd} ${cmdArgs.join(' ')}`);
  const res = spawnSync(cmd, cmdArgs, { cwd: REPO_ROOT, stdio: 'inherit', env });
  return res.status ?? 1;
}

const started = Date.now();
const infra = await infraUp({ log });
let code = 1;
try {
  const env = { ...process.env, ...infraEnv(infra), NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  code = run('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], env) || run('lint', 'npm', ['run', '--silent', 'lint'], env);
  if (code === 0) {
    const report = join(REPO_ROOT, '.asahi', 'vitest-report.json');
    rmSync(report, { force: true });
    code = run('vitest', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args], env);
    printSummary(report);
  }
} finally {
  if (infra.started.length > 0) await infraDown({ only: infra.started, log });
  log(`finished in ${Math.round((Date.now() - started) / 1000)} s with exit code ${code}`);
}
process.exit(code);

/** The plain closing line CI reads: `N passed, N failed, N skipped`. */
function printSummary(reportPath: string) {
  try {
    const r = JSON.parse(readFileSync(reportPath, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
    console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  } catch {
    console.log('\n0 passed, 1 failed (no vitest report was written)');
  }
}
