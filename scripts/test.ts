/**
 * `npm test`: bring up real Kafka, Redis and PostgreSQL (unless provided through env vars; as
 * testcontainers with INFRA=containers), typecheck and lint, run the unit, integration and
 * end-to-end projects, then stop exactly what this run started. Exit code is vitest's (or the
 * first failing step's).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { infraDown, infraEnv, infraUp } from '@asahi/local-infra';
import { REPO_ROOT } from '@asahi/testing';

const log = (line: string) => console.log(`[test] ${line}`);
const args = process.argv.slice(2);

function run(
  label: string,
  cmd: string,
  cmdArgs: string[],
  env: NodeJS.ProcessEnv = process.env,
): number {
  log(`${label}: ${cmd} ${cmdArgs.join(' ')}`);
  const res = spawnSync(cmd, cmdArgs, { cwd: REPO_ROOT, stdio: 'inherit', env });
  return res.status ?? 1;
}

const started = Date.now();
const infra = await infraUp({ log });
let code = 1;
try {
  const env = { ...process.env, ...infraEnv(infra), NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  code =
    run('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], env) ||
    run('lint', 'npm', ['run', '--silent', 'lint'], env);
  // One project at a time (unit, then integration, then e2e): predictable on two cores, and the
  // cheap failures show first. Every project runs even after a failure, so the summary is whole.
  const reports: string[] = [];
  if (code === 0) {
    for (const project of args.length > 0 ? [undefined] : ['unit', 'integration', 'e2e']) {
      const report = join(REPO_ROOT, '.asahi', `vitest-${project ?? 'custom'}.json`);
      rmSync(report, { force: true });
      reports.push(report);
      const selection = project ? ['--project', project] : args;
      code =
        run(
          `vitest ${project ?? ''}`,
          'npx',
          [
            'vitest',
            'run',
            '--reporter=default',
            '--reporter=json',
            `--outputFile.json=${report}`,
            ...selection,
          ],
          env,
        ) || code;
    }
    printSummary(reports);
  }
} finally {
  if (infra.started.length > 0) await infraDown({ only: infra.started, log });
  await infra.stop?.(); // INFRA=containers: they lived in this process for the whole run
  log(`finished in ${Math.round((Date.now() - started) / 1000)} s with exit code ${code}`);
}
process.exit(code);

/** The plain closing line CI reads: `N passed, N failed, N skipped`. */
function printSummary(reportPaths: string[]) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const path of reportPaths) {
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
        numPendingTests: number;
        numTodoTests: number;
        numFailedTestSuites: number;
      };
      passed += r.numPassedTests;
      failed += r.numFailedTests + (r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
      skipped += r.numPendingTests + r.numTodoTests;
    } catch {
      failed += 1; // a project that wrote no report failed to run at all
    }
  }
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
}
