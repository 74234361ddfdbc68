/**
 * `npm start`: infra up, migrate, seed a dev tenant, start every app and the simulator, run a
 * small demo workload, print where everything is, and serve until Ctrl-C.
 */
import { join } from 'node:path';
import { createDb, migrate, MIGRATIONS_DIR } from '@asahi/db';
import { infraDown, infraUp } from '@asahi/local-infra';
import { REPO_ROOT, startStack } from '@asahi/testing';
import { runDemoWorkload } from './demo-workload';
import { seedDevTenant } from './seed';

const log = (line: string) => console.log(`[asahi] ${line}`);
const webhookSecret = process.env.WEBHOOK_SIGNING_SECRET ?? 'asahi-dev-webhook-secret';
const realProvider = process.env.OPENAI_API_KEY
  ? {
      baseUrl: process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
      apiKey: process.env.OPENAI_API_KEY,
    }
  : undefined;

const infra = await infraUp({ log });
let stopping = false;
const stopInfra = () =>
  infra.started.length > 0 ? infraDown({ only: infra.started, log }) : Promise.resolve([]);
try {
  await migrate(infra.databaseUrl, MIGRATIONS_DIR, log);
  const db = createDb(infra.databaseUrl);
  const keys = await seedDevTenant(db.prisma, join(REPO_ROOT, '.asahi', 'dev-keys.json'));
  await db.close();

  log('starting apps…');
  const stack = await startStack({
    namespace: '',
    infra,
    logDir: join(REPO_ROOT, '.asahi', 'logs', 'start'),
    webhookSecret,
    ...(realProvider
      ? { provider: realProvider }
      : {
          simEnv: { SIM_LATENCY_MS: '150', SIM_LATENCY_PER_TOKEN_MS: '2' },
          // The simulator's Batch API answers in seconds, so the demo's batch policy is scaled to
          // it: async and bulk jobs go through the Batch API and are answered within ~10 s.
          env: {
            pipeline: {
              BATCH_TURNAROUND_MS: '60000',
              BATCH_MARGIN_MS: '30000',
              BATCH_MAX_WAIT_MS: '5000',
              BATCH_POLL_MS: '1000',
            },
          },
        }),
    ports: {
      'ingest-api': 8080,
      pipeline: 8082,
      results: 8083,
      analytics: 8084,
      'provider-sim': 8090,
    },
  });
  const api = stack.ingestUrls[0]!;
  await runDemoWorkload(api, keys.apiKey, webhookSecret, log);

  log('');
  log(`API            ${api}   (Authorization: Bearer ${keys.apiKey})`);
  log(
    `Bull Board     ${api}/admin/queues   (basic auth, any user, password = admin key ${keys.adminKey})`,
  );
  for (const [label, app] of Object.entries(stack.apps))
    log(`${label.padEnd(14)} metrics ${app.url}/metrics   log ${app.logFile}`);
  log(
    realProvider
      ? `provider       ${realProvider.baseUrl}`
      : `provider       simulator at ${stack.simUrl}/v1`,
  );
  log(
    `try:  curl -s -H 'Authorization: Bearer ${keys.apiKey}' -H 'Prefer: wait=30' -H 'content-type: application/json' \\`,
  );
  log(
    `        -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}' ${api}/v1/jobs`,
  );
  log('serving; Ctrl-C to stop');

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping apps…`);
    await stack.stop();
    await stopInfra();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (err) {
  console.error(err);
  await stopInfra();
  process.exit(1);
}
