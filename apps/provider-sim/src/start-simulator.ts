import type { FastifyInstance } from 'fastify';
import { buildSimulator } from './build-app';
import { loadConfig } from './config';

export interface RunningSimulator {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` (the OpenAI base URL is `${url}/v1`). */
  url: string;
  close(): Promise<void>;
}

/**
 * The simulator in this process on a free loopback port, configured from `env` (SIM_* variables,
 * LOG_LEVEL defaults to silent): for tests, evaluations and fixtures.
 */
export async function startSimulator(env: Record<string, string> = {}): Promise<RunningSimulator> {
  const app = buildSimulator(loadConfig({ LOG_LEVEL: 'silent', ...env }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('simulator has no address');
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
