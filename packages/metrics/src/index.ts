import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/** A per-process registry with default Node metrics and a `service` label on everything. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The standard LLM metrics every pipeline process exposes. Names are a public contract. */
export function createLlmMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'asahi_requests_total',
      help: 'Requests reaching a terminal state, by tenant and outcome.',
      labelNames: ['tenant', 'outcome'] as const,
      registers,
    }),
    stageDuration: new Histogram({
      name: 'asahi_stage_duration_seconds',
      help: 'Processing time per pipeline stage.',
      labelNames: ['stage', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queueWait: new Histogram({
      name: 'asahi_queue_wait_seconds',
      help: 'Time a job waited in its queue before a worker picked it up.',
      labelNames: ['queue'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    deadlineSlack: new Histogram({
      name: 'asahi_deadline_slack_seconds',
      help: 'Time left until the deadline when a request was dispatched.',
      labelNames: ['mode'] as const,
      buckets: [0, 1, 5, 15, 60, 300, 3600, 21600, 86400],
      registers,
    }),
    tokens: new Counter({
      name: 'asahi_llm_tokens_total',
      help: 'Tokens billed by the provider, by model and kind (prompt, completion).',
      labelNames: ['model', 'kind'] as const,
      registers,
    }),
    cost: new Counter({
      name: 'asahi_llm_cost_usd_total',
      help: 'Provider cost in USD, by model.',
      labelNames: ['model'] as const,
      registers,
    }),
    baselineCost: new Counter({
      name: 'asahi_llm_baseline_cost_usd_total',
      help: 'What the same requests would have cost realtime and unoptimized.',
      labelNames: ['model'] as const,
      registers,
    }),
    cacheLookups: new Counter({
      name: 'asahi_cache_lookups_total',
      help: 'Cache lookups by tier (exact, canonical, semantic) and outcome (hit, miss, skip, timeout, error).',
      labelNames: ['tier', 'outcome'] as const,
      registers,
    }),
    providerCalls: new Counter({
      name: 'asahi_provider_calls_total',
      help: 'Provider calls by model and outcome (ok or error code).',
      labelNames: ['model', 'outcome'] as const,
      registers,
    }),
    providerLatency: new Histogram({
      name: 'asahi_provider_latency_seconds',
      help: 'Provider call latency.',
      labelNames: ['model'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    savings: new Counter({
      name: 'asahi_savings_usd_total',
      help: 'USD saved against the baseline, by stage (cache, intermediate, routing, tokens, batch).',
      labelNames: ['stage'] as const,
      registers,
    }),
    promptTokensSaved: new Counter({
      name: 'asahi_prompt_tokens_saved_total',
      help: 'Prompt tokens removed by token optimization before the provider call.',
      registers,
    }),
    routingDecisions: new Counter({
      name: 'asahi_routing_decisions_total',
      help: 'Routing decisions by mode, detected task type and chosen model.',
      labelNames: ['mode', 'task', 'model'] as const,
      registers,
    }),
    enrichment: new Counter({
      name: 'asahi_enrichment_total',
      help: 'Prompt enrichment outcomes (applied, missing_features, missing_template, timeout, error).',
      labelNames: ['status'] as const,
      registers,
    }),
    enrichmentDuration: new Histogram({
      name: 'asahi_enrichment_duration_seconds',
      help: 'Time prepare spent enriching a request, by enrichment status.',
      labelNames: ['status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
      registers,
    }),
    cacheEvictions: new Counter({
      name: 'asahi_cache_evictions_total',
      help: 'Cache entries evicted to keep a tenant within its bound, by tier.',
      labelNames: ['tier'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'asahi_dispatch_batch_size',
      help: 'Requests per dispatched unit, by execution (batch-api job, array call, realtime flush).',
      labelNames: ['execution'] as const,
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000, 50000],
      registers,
    }),
    deadlineMisses: new Counter({
      name: 'asahi_deadline_misses_total',
      help: 'Terminal results completed after their deadline, by mode and execution.',
      labelNames: ['mode', 'execution'] as const,
      registers,
    }),
    rateLimitWaits: new Counter({
      name: 'asahi_rate_limit_waits_total',
      help: 'Dispatches put back in the queue by a provider/model rate limit, by model and limit (rpm, tpm).',
      labelNames: ['model', 'limited_by'] as const,
      registers,
    }),
    rateLimitWaitSeconds: new Histogram({
      name: 'asahi_rate_limit_wait_seconds',
      help: 'Total time a request waited for rate limits before its provider call.',
      labelNames: ['model'] as const,
      buckets: [0, 0.1, 0.5, 1, 5, 15, 60, 300, 3600],
      registers,
    }),
    breakerState: new Gauge({
      name: 'asahi_circuit_breaker_state',
      help: 'Circuit breaker per provider and model: 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider', 'model'] as const,
      registers,
    }),
    executionCost: new Counter({
      name: 'asahi_cost_by_execution_usd_total',
      help: 'Provider cost in USD by execution mode (realtime, array, batch-api).',
      labelNames: ['execution'] as const,
      registers,
    }),
    executions: new Counter({
      name: 'asahi_executions_total',
      help: 'Answered requests by execution mode (realtime, array, batch-api).',
      labelNames: ['execution'] as const,
      registers,
    }),
    batchJobs: new Counter({
      name: 'asahi_batch_jobs_total',
      help: 'Provider Batch API jobs by event (submitted, completed, failed, expired, cancelled).',
      labelNames: ['event'] as const,
      registers,
    }),
    batchReleases: new Counter({
      name: 'asahi_batch_releases_total',
      help: 'Batch API members sent back to realtime, by reason (late, batch-item-failed, batch-missing).',
      labelNames: ['reason'] as const,
      registers,
    }),
    fallbacks: new Counter({
      name: 'asahi_fallbacks_total',
      help: 'Requests answered by a fallback model, by planned model, fallback model and reason.',
      labelNames: ['from', 'to', 'reason'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'asahi_dead_letters_total',
      help: 'Messages or jobs sent to a dead-letter destination, by source and reason code.',
      labelNames: ['source', 'reason'] as const,
      registers,
    }),
  };
}

export type LlmMetrics = ReturnType<typeof createLlmMetrics>;
export { createEnrichmentMetrics, type EnrichmentMetrics } from './enrichment-metrics';
