import { describe, expect, it } from 'vitest';
import { fixtures, requestMessageSchema, type RequestMessage } from '@asahi/contracts';
import { createLlmMetrics, createRegistry } from '@asahi/metrics';
import { prepareRequest, type PreparePorts, type TemplateDefinition } from '@asahi/stages';
import { recordTrace } from './prepare.processor';

/**
 * The enrichment metrics of a prepare run, from the stage's real outcome: the status counter and
 * the duration histogram are both observed, for a template lookup that answers and one that
 * never does (the budget runs out).
 */
const base = requestMessageSchema.parse(fixtures.request());
const request: RequestMessage = {
  ...base,
  deadlineAt: new Date(Date.now() + 3_600_000).toISOString(),
  // No cache tier is read: only enrichment is under test.
  cache: { mode: 'off' },
  enrichment: { templateId: 'greet', entities: {}, variables: { input: 'hi' } },
};
const unusedCache = {
  get: () => Promise.reject(new Error('not used')),
  set: () => Promise.reject(new Error('not used')),
};

function portsWith(getTemplate: () => Promise<TemplateDefinition | null>): PreparePorts {
  return {
    cache: unusedCache,
    clock: { now: () => Date.now() },
    enrichment: {
      templates: { getTemplate },
      features: { getFeatures: async () => null },
      budgetMs: 5,
    },
  };
}

async function metricsAfter(getTemplate: () => Promise<TemplateDefinition | null>) {
  const metrics = createLlmMetrics(createRegistry('pipeline-test'));
  const outcome = await prepareRequest(request, portsWith(getTemplate));
  recordTrace(metrics, outcome);
  const counts = (await metrics.enrichment.get()).values.map((v) => [v.labels.status, v.value]);
  const observed = (await metrics.enrichmentDuration.get()).values
    .filter((v) => v.metricName === 'asahi_enrichment_duration_seconds_count')
    .map((v) => [v.labels.status, v.value]);
  return { outcome, counts, observed };
}

describe('prepare records enrichment metrics', () => {
  it('a lookup that never answers: one timeout counted and its duration observed', async () => {
    const { outcome, counts, observed } = await metricsAfter(() => new Promise(() => undefined));
    expect(outcome.trace.enrichment).toBe('timeout');
    expect(counts).toEqual([['timeout', 1]]);
    expect(observed).toEqual([['timeout', 1]]);
  });

  it('an applied template: counted and observed under applied', async () => {
    const { counts, observed } = await metricsAfter(async () => ({
      template: 'Say {{input}}.',
      features: [],
    }));
    expect(counts).toEqual([['applied', 1]]);
    expect(observed).toEqual([['applied', 1]]);
  });

  it('a request without enrichment observes nothing', async () => {
    const metrics = createLlmMetrics(createRegistry('pipeline-test'));
    const { enrichment: _none, ...plain } = request;
    recordTrace(
      metrics,
      await prepareRequest(
        plain,
        portsWith(async () => null),
      ),
    );
    expect((await metrics.enrichment.get()).values).toEqual([]);
    const durations = (await metrics.enrichmentDuration.get()).values;
    expect(durations.filter((v) => v.value > 0)).toEqual([]);
  });
});
