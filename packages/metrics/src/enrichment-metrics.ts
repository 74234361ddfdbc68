import { Counter, type Registry } from 'prom-client';

/**
 * Prompt enrichment's feature-store side. Outcomes and time by status are
 * `asahi_enrichment_total` and `asahi_enrichment_duration_seconds` of createLlmMetrics (observed
 * where prepare runs the stage). No tenant label: tenants are unbounded, and per-tenant figures
 * belong in the usage tables, not in Prometheus series.
 */
export function createEnrichmentMetrics(registry: Registry) {
  const registers = [registry];
  return {
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
