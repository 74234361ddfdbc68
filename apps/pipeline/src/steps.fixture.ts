import {
  findModel,
  fixtures,
  requestMessageSchema,
  TASK_TYPES,
  type ModelProfile,
  type RequestMessage,
  type ResultMessage,
  type Step,
  type StepJob,
  type TenantPolicy,
} from '@asahi/contracts';
import type { LlmMetrics } from '@asahi/metrics';
import type { SimStatsSnapshot } from '@asahi/provider-sim';
import type { Queue } from '@asahi/queue';
import { DEFAULT_BREAKER_POLICY } from '@asahi/stages';
import type { RedisBreakers } from './adapters/redis-breaker';
import { setupPipelineFixture } from './processors.fixture';

/**
 * Integration fixture for step flows: the pipeline fixture (real Redis and Kafka under a
 * namespace of its own, the simulator in-process through the openai SDK) running the prepare,
 * dispatch and steps pools, with a model registry (gpt-4o-mini) for prepare's routing. Injected
 * 429s ask for SIM_RETRY_AFTER_MS.
 */
/** The three-step chain (summarize → translate → extract) the steps tests share. */
export const SUMMARIZE: Step = { id: 'summarize', template: 'Summarize: {{input}}', dependsOn: [] };
export const TRANSLATE: Step = {
  id: 'translate',
  template: 'Translate into French: {{steps.summarize}}',
  dependsOn: ['summarize'],
};
export const EXTRACT: Step = {
  id: 'extract',
  template: 'Extract the named entities from: {{steps.translate}}',
  dependsOn: ['translate'],
};

export const SIM_RETRY_AFTER_MS = 5_000;

function profile(id: string, quality: (task: string) => number): ModelProfile {
  const info = findModel(id)!;
  return {
    id: info.id,
    provider: 'openai',
    kind: 'chat',
    inputPer1M: info.inputPer1M,
    outputPer1M: info.outputPer1M,
    batchInputPer1M: info.inputPer1M / 2,
    batchOutputPer1M: info.outputPer1M / 2,
    contextWindow: info.contextWindow,
    capabilities: ['json', 'tools', 'sampling'],
    quality: Object.fromEntries(TASK_TYPES.map((t) => [t, quality(t)])) as ModelProfile['quality'],
    typicalLatencyMs: 500,
    enabled: true,
  };
}
/**
 * The registry prepare's (and AUTOPILOT steps') routing reads: gpt-4o-mini, which EXPLICIT
 * requests name, and the cheaper gpt-4.1-nano, good enough (for the default 0.8 floor) at
 * everything but code. An AUTOPILOT request that looks like code routes to mini, any other to nano.
 */
const REGISTRY: ModelProfile[] = [
  profile('gpt-4o-mini', () => 0.8),
  profile('gpt-4.1-nano', (task) => (task === 'code' ? 0.3 : 0.85)),
];

/** Tenants with a stored policy (every other tenant has none: platform defaults). */
export const TENANTS: Record<string, TenantPolicy> = {
  tenant_cache_off: { cache: { mode: 'off' }, routing: {} },
  tenant_ttl: { cache: { ttlSeconds: 120 }, routing: {} },
  tenant_opt_off: { cache: {}, routing: {}, optimization: 'off' },
  tenant_opt_safe: { cache: {}, routing: {}, optimization: 'safe' },
  tenant_autopilot: { cache: {}, routing: { mode: 'autopilot' } },
};

/** Dispatch controls the steps share: only these models are limited or have fallbacks. */
export const RATE_LIMITED_MODEL = 'gpt-4.1-mini';
export const RATE_LIMIT_RPM = 120;
export const FALLBACK_CHAINS = { 'gpt-4o': ['gpt-4o-mini'] };
/**
 * Breakers trip only on 8 failures in a row (above the 5 attempts of a failing step, so the
 * fault test leaves gpt-4o-mini closed) and, once open, stay open 10 minutes.
 */
export const BREAKER_TRIP_FAILURES = 8;

export interface StepsFixture {
  ns: string;
  /** The fixture's BullMQ and Redis key prefix. */
  queuePrefix: string;
  stepsQueue: Queue<StepJob>;
  metrics: LlmMetrics;
  breakers: RedisBreakers;
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
    contextFor: async (tenantId) => ({
      policy: TENANTS[tenantId] ?? { cache: {}, routing: {} },
      registry: REGISTRY,
    }),
    simRetryAfterMs: SIM_RETRY_AFTER_MS,
    dispatch: {
      limitsFor: (model) =>
        model === RATE_LIMITED_MODEL
          ? { rpm: RATE_LIMIT_RPM, tpm: Infinity }
          : { rpm: Infinity, tpm: Infinity },
      fallbackChains: FALLBACK_CHAINS,
    },
    breakerPolicy: {
      ...DEFAULT_BREAKER_POLICY,
      consecutiveFailureThreshold: BREAKER_TRIP_FAILURES,
      minCalls: 1_000,
      openDurationMs: 10 * 60_000,
    },
  });
  let seq = 0;
  return {
    ns: base.ns,
    queuePrefix: base.names.queuePrefix,
    stepsQueue: base.stepsQueue!,
    metrics: base.metrics,
    breakers: base.breakers,
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
