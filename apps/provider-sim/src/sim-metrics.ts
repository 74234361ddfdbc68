import { Counter, type Registry } from '@asahi/metrics';

export function createSimMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'asahi_sim_requests_total',
      help: 'Simulator requests by endpoint, model and HTTP status (or "timeout").',
      labelNames: ['endpoint', 'model', 'status'] as const,
      registers,
    }),
    faults: new Counter({
      name: 'asahi_sim_faults_total',
      help: 'Faults injected by the simulator, by kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    tokens: new Counter({
      name: 'asahi_sim_tokens_total',
      help: 'Tokens the simulator billed, by model and kind (prompt, completion).',
      labelNames: ['model', 'kind'] as const,
      registers,
    }),
  };
}

export type SimMetrics = ReturnType<typeof createSimMetrics>;
