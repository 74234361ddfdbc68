import type { AuditEvent, Names, ResultMessage } from '@asahi/contracts';
import { createBatchingSender, requestHeaders, type JsonProducer } from '@asahi/kafka';
import type { LlmMetrics } from '@asahi/metrics';

export interface ResultPublisher {
  publish(
    result: ResultMessage,
    audit: Omit<AuditEvent, 'schemaVersion' | 'requestId' | 'tenantId' | 'eventId'>[],
  ): Promise<void>;
}

/**
 * Emits a terminal result and its audit events. Publishing is at-least-once (a retried job may
 * publish again); consumers dedupe on the request id, so exactly one terminal result lands.
 */
export function createResultPublisher(
  producer: JsonProducer,
  names: Names,
  metrics: LlmMetrics,
): ResultPublisher {
  // Many workers publish at once: batching their sends keeps the idempotent producer's five
  // in-flight requests from capping throughput at five results per broker round trip.
  const results = createBatchingSender(producer, { topic: names.topics.results });
  const auditLog = createBatchingSender(producer, { topic: names.topics.audit });
  return {
    async publish(result, audit) {
      const headers = requestHeaders(result);
      const events = [...audit, completedEvent(result)].map((a): AuditEvent => ({
        ...a,
        schemaVersion: 1,
        requestId: result.requestId,
        tenantId: result.tenantId,
        eventId: `${result.requestId}.${a.type}`,
      }));
      await Promise.all([
        results.send({ key: result.requestId, value: result, headers }),
        ...events.map((e) => auditLog.send({ key: e.requestId, value: e, headers })),
      ]);
      recordResultMetrics(metrics, result);
    },
  };
}

function completedEvent(result: ResultMessage): Pick<AuditEvent, 'type' | 'at' | 'data'> {
  return {
    type: 'request.completed',
    at: result.completedAt,
    data: {
      status: result.status,
      model: result.model,
      costUsd: result.costUsd,
      baselineCostUsd: result.baselineCostUsd,
      cacheTier: result.cacheTier,
      errorCode: result.error?.code,
      routing: result.routing,
      tokens: result.tokens,
      savings: result.savings,
    },
  };
}

function recordResultMetrics(metrics: LlmMetrics, result: ResultMessage) {
  metrics.requests.inc({ tenant: result.tenantId, outcome: result.status });
  metrics.tokens.inc(
    { model: result.model, kind: 'prompt' },
    result.cacheTier === 'none' ? result.usage.promptTokens : 0,
  );
  metrics.tokens.inc(
    { model: result.model, kind: 'completion' },
    result.cacheTier === 'none' ? result.usage.completionTokens : 0,
  );
  metrics.cost.inc({ model: result.model }, result.costUsd);
  metrics.baselineCost.inc({ model: result.model }, result.baselineCostUsd);
  for (const [stage, usd] of Object.entries(result.savings ?? {}))
    if (usd > 0) metrics.savings.inc({ stage }, usd); // counters only grow; see results for negatives
  // Deadline-aware dispatch: what each execution mode answered and cost, and who was late.
  const execution = result.dispatch?.execution;
  if (execution && result.status === 'succeeded') {
    metrics.executions.inc({ execution });
    metrics.executionCost.inc({ execution }, result.costUsd);
  }
  if (Date.parse(result.completedAt) > Date.parse(result.deadlineAt))
    metrics.deadlineMisses.inc({ mode: result.mode, execution: execution ?? 'none' });
  if (result.tokens)
    metrics.promptTokensSaved.inc(Math.max(0, result.tokens.original - result.tokens.optimized));
}
