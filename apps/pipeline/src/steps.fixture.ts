import {
  findModel,
  fixtures,
  requestMessageSchema,
  TASK_TYPES,
  type ModelProfile,
  type RequestMessage,
  type ResultMessage,
  type StepJob,
} from '@asahi/contracts';
import type { SimStatsSnapshot } from '@asahi/provider-sim';
import type { Queue } from '@asahi/queue';
import { setupPipelineFixture } from './processors.fixture';

/**
 * Integration fixture for step flows: the pipeline fixture (real Redis and Kafka under a
 * namespace of its own, the simulator in-process through the openai SDK) running the prepare,
 * dispatch and steps pools, with a model registry (gpt-4o-mini) for prepare's routing. Injected
 * 429s ask for SIM_RETRY_AFTER_MS.
 */
export const SIM_RETRY_AFTER_MS = 5_000;

const info = findModel('gpt-4o-mini')!;
/** The one registry entry prepare's routing needs to run gpt-4o-mini as requested. */
const MINI: ModelProfile = {
  id: info.id,
  provider: 'openai',
  kind: 'chat',
  inputPer1M: info.inputPer1M,
  outputPer1M: info.outputPer1M,
  batchInputPer1M: info.inputPer1M / 2,
  batchOutputPer1M: info.outputPer1M / 2,
  contextWindow: info.contextWindow,
  capabilities: ['json', 'tools', 'sampling'],
  quality: Object.fromEntries(TASK_TYPES.map((t) => [t, 0.8])) as ModelProfile['quality'],
  typicalLatencyMs: 500,
  enabled: true,
};

export interface StepsFixture {
  ns: string;
  stepsQueue: Queue<StepJob>;
  /** A request with a unique id and body (so no exact-cache entry can answer it). */
  makeRequest(patch?: Partial<RequestMessage> & { content?: string }): RequestMessage;
  /** Enqueues the prepare job as intake does; resolves with the first result for the request. */
  run(request: RequestMessage): Promise<ResultMessage>;
  resultsFor(requestId: string): ResultMessage[];
  simStats(): Promise<SimStatsSnapshot>;
  injectFaults(next: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function setupStepsFixture(): Promise<StepsFixture> {
  const base = await setupPipelineFixture({
    pools: ['prepare', 'dispatch', 'steps'],
    contextFor: async () => ({ policy: { cache: {}, routing: {} }, registry: [MINI] }),
    simRetryAfterMs: SIM_RETRY_AFTER_MS,
  });
  let seq = 0;
  return {
    ns: base.ns,
    stepsQueue: base.stepsQueue!,
    makeRequest({ content, ...patch } = {}) {
      const { callback: _callback, ...request } = fixtures.request() as RequestMessage;
      const now = Date.now();
      const id = `req_${base.ns}_s${++seq}`;
      return requestMessageSchema.parse({
        ...request,
        requestId: id,
        tenantId: 'tenant_a',
        acceptedAt: new Date(now).toISOString(),
        deadlineAt: new Date(now + 10 * 60_000).toISOString(),
        body: {
          model: 'gpt-4o-mini',
          temperature: 0,
          messages: [{ role: 'user', content: content ?? `Run the declared steps (${id})` }],
        },
        ...patch,
      });
    },
    run: async (request) => (await base.run(request)).value,
    resultsFor: (requestId) => base.resultsFor(requestId).map((r) => r.value),
    simStats: base.simStats,
    injectFaults: base.injectFaults,
    close: base.close,
  };
}
