import { Counter, Gauge, Histogram, type Registry } from '@asahi/metrics';

/** Ingest-side metrics. Names are a public contract (dashboards, alerts). */
export function createIngestMetrics(registry: Registry, probes: { channels?: () => number } = {}) {
  const registers = [registry];
  return {
    accepted: new Counter({
      name: 'asahi_ingest_accepted_total',
      help: 'Requests accepted (acknowledged by Kafka), by mode.',
      labelNames: ['mode'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'asahi_ingest_rejected_total',
      help: 'Requests answered with an error, by error code.',
      labelNames: ['code'] as const,
      registers,
    }),
    bulkRejectedLines: new Counter({
      name: 'asahi_ingest_bulk_rejected_lines_total',
      help: 'Lines of bulk uploads that were not accepted, by code (invalid_request, unknown_model).',
      labelNames: ['code'] as const,
      registers,
    }),
    produceDuration: new Histogram({
      name: 'asahi_ingest_produce_duration_seconds',
      help: 'Time from handing a request to the batching sender until Kafka acknowledged it (acks=all).',
      labelNames: ['outcome'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    syncWait: new Counter({
      name: 'asahi_ingest_sync_wait_total',
      help: 'Sync waits by outcome (completed, timeout, aborted).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    syncWaitDuration: new Histogram({
      name: 'asahi_ingest_sync_wait_seconds',
      help: 'How long sync callers were held, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    waitingChannels: new Gauge({
      name: 'asahi_ingest_result_channels',
      help: 'Redis result channels this process is subscribed to (request ids with a waiter).',
      registers,
      collect() {
        if (probes.channels) this.set(probes.channels());
      },
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
