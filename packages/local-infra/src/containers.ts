/**
 * `INFRA=containers`: the same Kafka, Redis and PostgreSQL as `infraUp` starts locally, run with
 * testcontainers instead. The containers belong to the calling process: testcontainers' Ryuk
 * removes them once that process exits, so the caller must outlive every user of the endpoints
 * (scripts/test.ts keeps them for the whole run) and should call `stop` when done.
 */
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RedisContainer } from '@testcontainers/redis';
import {
  GenericContainer,
  getContainerRuntimeClient,
  Wait,
  type StartedTestContainer,
} from 'testcontainers';
import type { Log } from './driver';
import { componentsToStart, ENV_VARS } from './infra-mode';
import { probeKafka } from './kafka';
import { randomClusterId } from './kafka-config';
import { sleep } from './process';
import { COMPONENTS, type Component, type InfraEndpoints } from './types';

export const CONTAINER_IMAGES = {
  kafka: 'apache/kafka:4.1.0',
  redis: 'redis:7',
  postgres: 'postgres:15',
} as const satisfies Record<Component, string>;

const DATABASE = 'asahi';
const PG_USER = 'postgres';
const PG_PASSWORD = 'postgres';

const KAFKA_PORT = 9092; // PLAINTEXT listener, published to the host
const KAFKA_BROKER_PORT = 9093; // inter-broker listener, container network only
const KAFKA_CONTROLLER_PORT = 9094;
const KAFKA_STARTUP_TIMEOUT_MS = 120_000;
const STARTER_SCRIPT = '/tmp/asahi-kafka-start.sh';
const STARTER_READY = '/tmp/asahi-kafka-start.ready';
const WAITING_FOR_STARTER = 'asahi: waiting for the start script';

interface StartedComponent {
  url: string;
  container: StartedTestContainer;
}

const STARTERS: Record<Component, (log: Log) => Promise<StartedComponent>> = {
  kafka: startKafka,
  redis: startRedis,
  postgres: startPostgres,
};

/**
 * Starts a container for each component not provided through its env var, all in parallel.
 * `started` stays empty (`infraDown` manages local processes only); `stop` is set when at least
 * one container was started and removes them. On a failure, whatever did start is stopped first.
 */
export async function startContainers(
  log: Log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InfraEndpoints> {
  const urls: Partial<Record<Component, string>> = {};
  for (const c of COMPONENTS) {
    const provided = env[ENV_VARS[c]];
    if (!provided) continue;
    urls[c] = provided;
    log(`${c}: using ${ENV_VARS[c]}=${provided} (provided, not managed)`);
  }
  const wanted = componentsToStart(env);
  if (wanted.length > 0) await requireContainerEngine();
  const results = await Promise.allSettled(wanted.map((c) => STARTERS[c](log)));
  const containers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.container] : []));
  const running = wanted.filter((_, i) => results[i]?.status === 'fulfilled');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= Promise.allSettled(containers.map((c) => c.stop())).then(() => {
      log(`containers: stopped ${running.join(', ')}`);
    }));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${wanted[i]}: ${errorText(r.reason)}`] : [],
  );
  if (failures.length) {
    await stop();
    throw new Error(`containers failed to start\n${failures.join('\n\n')}`);
  }
  results.forEach((r, i) => {
    const c = wanted[i];
    if (c && r.status === 'fulfilled') urls[c] = r.value.url;
  });
  const { kafka, redis, postgres } = urls;
  if (!kafka || !redis || !postgres) throw new Error('containers: an endpoint is missing'); // unreachable
  const endpoints: InfraEndpoints = {
    kafkaBrokers: kafka,
    redisUrl: redis,
    databaseUrl: postgres,
    started: [],
  };
  return containers.length > 0 ? { ...endpoints, stop } : endpoints;
}

/** True when testcontainers finds a Docker engine (socket, DOCKER_HOST or ~/.testcontainers). */
export async function containerEngineAvailable(): Promise<boolean> {
  return getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
}

async function requireContainerEngine(): Promise<void> {
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    throw new Error(
      `INFRA=containers needs a reachable Docker engine, but none was found (${errorText(err)}). ` +
        'Start Docker or point DOCKER_HOST at one, or unset INFRA to run Kafka, Redis and ' +
        'PostgreSQL as local processes.',
    );
  }
}

/**
 * apache/kafka in single-node KRaft mode. The advertised listener must name the host port Docker
 * maps, which exists only once the container runs: the container first waits for a start script
 * that we copy in with that port (the approach of testcontainers-java's KafkaContainer).
 */
async function startKafka(log: Log): Promise<StartedComponent> {
  log(`kafka: starting container ${CONTAINER_IMAGES.kafka}...`);
  const logTail = new LineTail(40);
  const container = await new GenericContainer(CONTAINER_IMAGES.kafka)
    .withExposedPorts(KAFKA_PORT)
    .withEnvironment(kafkaEnvironment())
    .withCommand([
      'sh',
      '-c',
      `echo '${WAITING_FOR_STARTER}'; while [ ! -f ${STARTER_READY} ]; do sleep 0.1; done; ` +
        `exec sh ${STARTER_SCRIPT}`,
    ])
    .withWaitStrategy(Wait.forLogMessage(WAITING_FOR_STARTER))
    .withLogConsumer((stream) => stream.on('data', (chunk) => logTail.push(String(chunk))))
    .start();
  try {
    const brokers = `${container.getHost()}:${container.getMappedPort(KAFKA_PORT)}`;
    const advertised = `PLAINTEXT://${brokers},BROKER://${container.getHostname()}:${KAFKA_BROKER_PORT}`;
    const script = `export KAFKA_ADVERTISED_LISTENERS=${advertised}\nexec /etc/kafka/docker/run\n`;
    await container.copyContentToContainer([
      { content: script, target: STARTER_SCRIPT, mode: 0o755 },
    ]);
    // A separate marker, copied once the script is complete, so the loop never runs half a file.
    await container.copyContentToContainer([{ content: '', target: STARTER_READY }]);
    await waitForKafka(brokers, logTail);
    log(`kafka: container ${container.getId().slice(0, 12)} at ${brokers}`);
    return { url: brokers, container };
  } catch (err) {
    await container.stop().catch(() => {});
    throw err;
  }
}

/** The image turns KAFKA_* variables into server.properties; same dev settings as the local broker. */
function kafkaEnvironment(): Record<string, string> {
  return {
    CLUSTER_ID: randomClusterId(),
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_LISTENERS: `PLAINTEXT://:${KAFKA_PORT},BROKER://:${KAFKA_BROKER_PORT},CONTROLLER://:${KAFKA_CONTROLLER_PORT}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:
      'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${KAFKA_CONTROLLER_PORT}`,
    KAFKA_NUM_PARTITIONS: '3',
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    // Read by kafka-server-start.sh (default 1 GB); as the local broker, it shares 2 cores.
    KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
  };
}

/** Same health check as the local broker: a metadata request lists the broker. */
async function waitForKafka(brokers: string, logTail: LineTail): Promise<void> {
  const deadline = Date.now() + KAFKA_STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await probeKafka(brokers)) return;
    await sleep(500);
  }
  throw new Error(
    `did not become healthy within ${KAFKA_STARTUP_TIMEOUT_MS / 1000}s at ${brokers}\n` +
      `--- last container log lines ---\n${logTail.text()}`,
  );
}

async function startRedis(log: Log): Promise<StartedComponent> {
  log(`redis: starting container ${CONTAINER_IMAGES.redis}...`);
  const container = await new RedisContainer(CONTAINER_IMAGES.redis)
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
    .start();
  const url = `redis://${container.getHost()}:${container.getPort()}`;
  log(`redis: container ${container.getId().slice(0, 12)} at ${url}`);
  return { url, container };
}

async function startPostgres(log: Log): Promise<StartedComponent> {
  log(`postgres: starting container ${CONTAINER_IMAGES.postgres}...`);
  const container = await new PostgreSqlContainer(CONTAINER_IMAGES.postgres)
    .withDatabase(DATABASE)
    .withUsername(PG_USER)
    .withPassword(PG_PASSWORD)
    // As the local server: many app pools in the e2e suite, and durability is irrelevant here.
    .withCommand(['postgres', '-c', 'max_connections=200', '-c', 'synchronous_commit=off'])
    .start();
  const url = `postgresql://${PG_USER}:${PG_PASSWORD}@${container.getHost()}:${container.getPort()}/${DATABASE}`;
  log(`postgres: container ${container.getId().slice(0, 12)} at ${url}`);
  return { url, container };
}

/** The last lines of a container's output, for startup errors. */
class LineTail {
  private lines: string[] = [];
  constructor(private readonly max: number) {}
  push(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  text(): string {
    return this.lines.join('\n') || '(no output)';
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
