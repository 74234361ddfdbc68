import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from './driver';
import type { InfraPaths } from './paths';
import { outputOf, run, which } from './process';

/**
 * The broker's jars come from Maven Central via the checked-in pom (no Kafka tarball to host or
 * pin by hand). They are cached in `.asahi/kafka/libs` together with a hash of the pom, so Maven
 * only runs again when the pom changes (e.g. a Kafka version bump).
 */
export async function ensureKafkaLibs(paths: InfraPaths, log: Log): Promise<string> {
  const pom = join(paths.repoRoot, 'infra', 'kafka', 'pom.xml');
  if (!existsSync(pom)) throw new Error(`Kafka pom not found at ${pom}`);
  const libs = join(paths.kafka, 'libs');
  const stampFile = join(libs, '.pom.sha256');
  const stamp = createHash('sha256').update(readFileSync(pom)).digest('hex');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) return libs;

  const mvn = which('mvn');
  if (!mvn)
    throw new Error(
      'Maven (mvn) not found: install it (apt-get install -y maven) or set KAFKA_BROKERS',
    );
  log('kafka: resolving broker jars with Maven (one-time, cached in .asahi/kafka/libs)...');
  // Resolve into a temp dir and swap, so an interrupted download never looks like a complete cache.
  const tmp = `${libs}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(paths.kafka, { recursive: true });
  const args = ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`];
  const result = await run(mvn, args, { cwd: paths.repoRoot });
  if (result.status !== 0) throw new Error(`mvn ${args.join(' ')} failed:\n${outputOf(result)}`);
  writeFileSync(join(tmp, '.pom.sha256'), `${stamp}\n`);
  rmSync(libs, { recursive: true, force: true });
  renameSync(tmp, libs);
  return libs;
}
