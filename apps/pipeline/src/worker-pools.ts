import type { DispatchJob } from '@asahi/contracts';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import type { Queue, Redis, Worker } from '@asahi/queue';
import type { ChatProvider, Clock, ExactCache } from '@asahi/stages';
import { startDispatchWorker } from './dispatch.processor';
import { publishOnFinalFailure } from './final-failure';
import { startPrepareWorker } from './prepare.processor';
import type { ResultPublisher } from './result-publisher';

export interface WorkerPoolsDeps {
  /** Which pools to run (`prepare`, `dispatch`); others are ignored. */
  pools: ReadonlySet<string>;
  /** A new Redis connection per worker: BullMQ blocks on it while waiting for jobs. */
  connect(name: string): Redis;
  prefix: string;
  logger: Logger;
  metrics: LlmMetrics;
  ports: { cache: ExactCache; clock: Clock; provider: ChatProvider };
  dispatchQueue: Queue<DispatchJob>;
  publisher: ResultPublisher;
  timeoutMs: number;
  concurrency?: { prepare?: number | undefined; dispatch?: number | undefined };
}

/** Starts the requested stage pools, each with the final-failure safety net. */
export function startWorkerPools(deps: WorkerPoolsDeps): { prepare?: Worker; dispatch?: Worker } {
  const { prefix, logger, metrics, publisher } = deps;
  const { cache, clock, provider } = deps.ports;
  const started: { prepare?: Worker; dispatch?: Worker } = {};
  if (deps.pools.has('prepare')) {
    started.prepare = startPrepareWorker({
      connection: deps.connect('pipeline-prepare'),
      prefix,
      logger,
      metrics,
      ports: { cache, clock },
      dispatchQueue: deps.dispatchQueue,
      publisher,
      concurrency: deps.concurrency?.prepare,
    });
    publishOnFinalFailure(started.prepare, publisher, logger);
  }
  if (deps.pools.has('dispatch')) {
    started.dispatch = startDispatchWorker({
      connection: deps.connect('pipeline-dispatch'),
      prefix,
      logger,
      metrics,
      ports: { provider, cache, clock },
      publisher,
      timeoutMs: deps.timeoutMs,
      concurrency: deps.concurrency?.dispatch,
    });
    publishOnFinalFailure(started.dispatch, publisher, logger);
  }
  return started;
}
