import { isRoot, outputOf, run } from './process';

/**
 * Installs a Debian package when we are root (fresh CI/dev containers), retrying once after
 * `apt-get update` because a fresh image often has empty package lists. Non-root users get a
 * clear message instead of a sudo prompt in the middle of `npm start`.
 */
export async function aptInstall(pkg: string, log: (line: string) => void): Promise<void> {
  if (!isRoot()) {
    throw new Error(
      `${pkg} is not installed: run \`sudo apt-get install -y ${pkg}\` (or set the env var to an existing server)`,
    );
  }
  log(`installing ${pkg} with apt-get (one-time)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env });
  let result = await install();
  if (result.status !== 0) {
    await run('apt-get', ['update'], { env });
    result = await install();
  }
  if (result.status !== 0) {
    throw new Error(`apt-get install -y ${pkg} failed:\n${outputOf(result)}`);
  }
}
