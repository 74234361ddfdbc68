import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Prompt enrichment's feature-store side. Outcomes by status are `asahi_enrichment_total` of
 * createLlmMetrics. No tenant label: tenants are unbounded, and per-tenant figures belong in the
 * usage tables, not in Prometheus series.
 */
export function createEnrichmentMetrics(registry: Registry) {
  const registers = [registry];
  return {
    duration: new Histogram({
      name: 'asahi_enrichment_duration_seconds',
      help: 'Time spent enriching a request, by status.',
      labelNames: ['status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
      registers,
    }),
    /** Read-through cache lookups: kind feature|template, outcome hit|miss|error. */
    cacheLookups: new Counter({
      name: 'asahi_enrichment_cache_lookups_total',
      help: 'Feature-store cache lookups by kind (feature, template) and outcome (hit, miss, error).',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
  };
}

export type EnrichmentMetrics = ReturnType<typeof createEnrichmentMetrics>;
