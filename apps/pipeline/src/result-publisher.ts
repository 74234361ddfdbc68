import type { AuditEvent, Names, ResultMessage } from '@asahi/contracts';
import { requestHeaders, type JsonProducer } from '@asahi/kafka';
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
  return {
    async publish(result, audit) {
      const headers = requestHeaders(result);
      await producer.send(names.topics.results, [
        { key: result.requestId, value: result, headers },
      ]);
      const events: AuditEvent[] = [
        ...audit.map((a) => ({
          ...a,
          schemaVersion: 1 as const,
          requestId: result.requestId,
          tenantId: result.tenantId,
          eventId: `${result.requestId}.${a.type}`,
        })),
        {
          schemaVersion: 1,
          eventId: `${result.requestId}.request.completed`,
          requestId: result.requestId,
          tenantId: result.tenantId,
          type: 'request.completed',
          at: result.completedAt,
          data: {
            status: result.status,
            model: result.model,
            costUsd: result.costUsd,
            baselineCostUsd: result.baselineCostUsd,
            cacheTier: result.cacheTier,
            errorCode: result.error?.code,
          },
        },
      ];
      await producer.send(
        names.topics.audit,
        events.map((e) => ({ key: e.requestId, value: e, headers })),
      );
      recordResultMetrics(metrics, result);
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
}
