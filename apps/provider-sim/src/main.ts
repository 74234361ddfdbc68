import { onShutdown } from '@asahi/http';
import { createLogger } from '@asahi/logger';
import { buildSimulator } from './build-app';
import { loadConfig } from './config';

const config = loadConfig();
const logger = createLogger({ service: 'provider-sim', level: config.LOG_LEVEL });
const app = buildSimulator(config, { logger });

onShutdown(logger, [{ name: 'http', close: () => app.close() }]);

await app.listen({ port: config.PORT, host: config.HOST });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.PORT;
const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
// e2e harnesses parse this line (msg "listening", field "url") to find an ephemeral port.
logger.info(
  {
    url: `http://${host}:${port}`,
    port,
    latencyMs: config.SIM_LATENCY_MS,
    rpm: config.SIM_RPM,
    tpm: config.SIM_TPM,
    faultRate: config.SIM_FAULT_RATE,
  },
  'listening',
);
