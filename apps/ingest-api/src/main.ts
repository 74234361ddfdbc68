import { onShutdown } from '@asahi/http';
import { createLogger } from '@asahi/logger';
import { createRegistry } from '@asahi/metrics';
import { buildIngestApp } from './build-app';
import { loadConfig } from './config';
import { createIngestRuntime } from './runtime';

const config = loadConfig();
const logger = createLogger({ service: 'ingest-api', level: config.LOG_LEVEL });
const registry = createRegistry('ingest-api');
const runtime = await createIngestRuntime(config, logger, registry);
const { app } = await buildIngestApp(runtime.deps);

await app.listen({ port: config.PORT, host: config.HOST });
const { port } = app.server.address() as { port: number };
logger.info(
  { url: `http://${config.HOST}:${port}`, namespace: config.ASAHI_NAMESPACE },
  'ingest-api listening',
);

onShutdown(
  logger,
  runtime.shutdownSteps(() => app.close()),
);
