import { join } from 'node:path';
import { appProcess, ExitedBeforeReadyError, REPO_ROOT, type AppProcess } from './app-process';
import { freePort, isPortFree } from './ports';

export interface StackEndpoints {
  kafkaBrokers: string;
  redisUrl: string;
  databaseUrl: string;
}

export interface StackOptions {
  /** Isolates topics, consumer groups and queues of this stack from any other. */
  namespace: string;
  infra: StackEndpoints;
  logDir?: string;
  /** Number of ingest-api instances (sync wait must work across them). */
  ingestInstances?: number;
  /** Simulator settings (SIM_* variables); ignored when providerBaseUrl is given. */
  simEnv?: Record<string, string>;
  /** Use this OpenAI-compatible endpoint instead of starting the simulator. */
  provider?: { baseUrl: string; apiKey: string };
  webhookSecret?: string;
  /** Extra environment per app folder name. */
  env?: Partial<
    Record<
      'ingest-api' | 'pipeline' | 'results' | 'analytics' | 'provider-sim',
      Record<string, string>
    >
  >;
  logLevel?: string;
  /** Preferred ports by label (used when free), e.g. `{ 'ingest-api': 8080 }` for `npm start`. */
  ports?: Record<string, number>;
}

export interface Stack {
  ingestUrls: string[];
  simUrl: string | undefined;
  apps: Record<string, AppProcess>;
  /** Restart one app (after crash() or stop()) with the same port and settings. */
  restart(label: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole platform as separate OS processes on free local ports: simulator, pipeline,
 * results, analytics and N ingest instances. Used by e2e tests, benchmarks and `npm start`.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const logDir = options.logDir ?? join(REPO_ROOT, '.asahi', 'logs', options.namespace);
  const common = {
    KAFKA_BROKERS: options.infra.kafkaBrokers,
    REDIS_URL: options.infra.redisUrl,
    DATABASE_URL: options.infra.databaseUrl,
    ASAHI_NAMESPACE: options.namespace,
    LOG_LEVEL: options.logLevel ?? 'info',
    HOST: '127.0.0.1',
  };
  const apps: Record<string, AppProcess> = {};
  const add = async (
    app: keyof NonNullable<StackOptions['env']>,
    label: string,
    env: Record<string, string>,
  ) => {
    const port = await preferredPort(options.ports?.[label]);
    apps[label] = appProcess({
      app,
      label,
      logDir,
      readyUrl: `http://127.0.0.1:${port}`,
      env: { ...common, ...env, ...options.env?.[app], PORT: String(port) },
    });
    return `http://127.0.0.1:${port}`;
  };

  let simUrl: string | undefined;
  if (!options.provider) simUrl = await add('provider-sim', 'provider-sim', options.simEnv ?? {});
  const providerEnv = options.provider
    ? { OPENAI_BASE_URL: options.provider.baseUrl, OPENAI_API_KEY: options.provider.apiKey }
    : { OPENAI_BASE_URL: `${simUrl}/v1`, OPENAI_API_KEY: 'sk-asahi-simulator' };
  await add('pipeline', 'pipeline', providerEnv);
  await add('results', 'results', {
    WEBHOOK_SIGNING_SECRET: options.webhookSecret ?? 'asahi-dev-webhook-secret',
  });
  await add('analytics', 'analytics', {});
  const ingestUrls: string[] = [];
  for (let i = 0; i < (options.ingestInstances ?? 1); i++)
    ingestUrls.push(await add('ingest-api', i === 0 ? 'ingest-api' : `ingest-api-${i + 1}`, {}));

  const started: AppProcess[] = [];
  const stop = async () => {
    // Intake first, provider last, so in-flight work can finish cleanly.
    for (const app of [...started].reverse()) await app.stop().catch(() => undefined);
  };
  try {
    // The simulator must be up before the pipeline; the others only need infra.
    if (apps['provider-sim'])
      await apps['provider-sim'].start().then(() => started.push(apps['provider-sim']!));
    const rest = Object.values(apps).filter((a) => a.label !== 'provider-sim');
    await Promise.all(rest.map((a) => startOnceMore(a).then(() => started.push(a))));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ingestUrls,
    simUrl,
    apps,
    restart: (label) => apps[label]!.start(),
    stop,
  };
}

/**
 * Eleven Node processes booting at once on two cores can make one of them lose a start-up race
 * (a Kafka group join or metadata fetch that times out), and an orchestrator would restart it:
 * so does the harness, once. The first failure is written to stderr with its log tail, so a real
 * start-up bug still shows, and fails the second time.
 */
async function startOnceMore(app: AppProcess): Promise<void> {
  try {
    await app.start();
  } catch (err) {
    if (!(err instanceof ExitedBeforeReadyError)) throw err;
    process.stderr.write(
      `[stack] ${app.label} exited during start-up, restarting once\n${err.message}\n`,
    );
    await app.start();
  }
}

async function preferredPort(port: number | undefined): Promise<number> {
  return port !== undefined && (await isPortFree(port)) ? port : freePort();
}
