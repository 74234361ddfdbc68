import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import kafkajs from 'kafkajs';
import type { Driver, Launch, Log, PrepareContext } from './driver';
import {
  KAFKA_JVM_OPTS,
  randomClusterId,
  renderLog4j2Config,
  renderServerProperties,
} from './kafka-config';
import { ensureKafkaLibs } from './kafka-libs';
import { pickPort } from './ports';
import { outputOf, run, spawnDetached, which } from './process';
import { withTimeout } from './wait';

const { Kafka, logLevel } = kafkajs;

export const kafkaDriver: Driver = {
  component: 'kafka',
  envVar: 'KAFKA_BROKERS',
  marker: (entry) => `kafka.Kafka ${join(dirname(entry.dataDir ?? ''), 'server.properties')}`,
  stopSignal: 'SIGTERM', // controlled shutdown; the JVM exits within a few seconds
  stopTimeoutMs: 30_000,
  probe: (url) => probeKafka(url),
  prepare: prepareKafka,
};

async function prepareKafka({ paths, prev, log }: PrepareContext): Promise<Launch> {
  const java = await requireJava();
  const libs = await ensureKafkaLibs(paths, log);
  const brokerPort = await pickPort(prev?.port);
  const controllerPort = await pickPort(prev?.extraPorts?.controller, [brokerPort]);
  const dir = paths.kafka;
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'logs', 'server.log');
  const outFile = join(dir, 'logs', 'kafka.out');
  const propsFile = join(dir, 'server.properties');
  const log4jFile = join(dir, 'log4j2.properties');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(propsFile, renderServerProperties({ brokerPort, controllerPort, dataDir }));
  writeFileSync(log4jFile, renderLog4j2Config(logFile));
  const jvm = [
    ...KAFKA_JVM_OPTS,
    `-Dlog4j2.configurationFile=${log4jFile}`,
    '-cp',
    join(libs, '*'),
  ];
  await formatStorage(java, jvm, propsFile, dataDir, log);
  return {
    entry: {
      source: 'local',
      startedByUs: true,
      port: brokerPort,
      extraPorts: { controller: controllerPort },
      url: `127.0.0.1:${brokerPort}`,
      logFile,
      dataDir,
    },
    spawn: () =>
      spawnDetached(java, [...jvm, 'kafka.Kafka', propsFile], { logFile: outFile, cwd: dir }),
    tailFiles: [outFile, logFile],
    startupTimeoutMs: 90_000,
  };
}

/** Kafka 4.x needs Java 17+; JAVA_HOME wins over PATH like Kafka's own scripts. */
export async function requireJava(): Promise<string> {
  const fromHome = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : undefined;
  const java = fromHome && existsSync(fromHome) ? fromHome : which('java');
  const hint =
    'install openjdk-17-jre-headless (apt-get install -y openjdk-17-jre-headless) or set KAFKA_BROKERS';
  if (!java) throw new Error(`Java 17+ not found: ${hint}`);
  const major = parseJavaMajor((await run(java, ['-version'])).output);
  if (major === undefined || major < 17) {
    throw new Error(`Java 17+ not found (${java} is version ${major ?? 'unknown'}): ${hint}`);
  }
  return java;
}

/** `openjdk version "17.0.15"` → 17; legacy `"1.8.0_412"` → 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

/**
 * Writes meta.properties into the data dir once; a formatted dir keeps its cluster id across
 * restarts. `--ignore-formatted` makes a re-run after a half-finished start harmless.
 */
async function formatStorage(
  java: string,
  jvm: string[],
  propsFile: string,
  dataDir: string,
  log: Log,
): Promise<void> {
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  log('kafka: formatting KRaft storage (one-time)...');
  const args = [
    ...jvm,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    randomClusterId(),
    '-c',
    propsFile,
    '--ignore-formatted',
  ];
  const result = await run(java, args);
  if (result.status !== 0) throw new Error(`kafka storage format failed:\n${outputOf(result)}`);
}

/** Healthy = the broker answers a metadata request and lists itself (i.e. it is registered). */
export async function probeKafka(brokers: string, timeoutMs = 5_000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'asahi-local-infra',
    brokers: brokers.split(',').map((b) => b.trim()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    const cluster = await withTimeout(
      admin.connect().then(() => admin.describeCluster()),
      timeoutMs,
      'kafka metadata request',
    );
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
