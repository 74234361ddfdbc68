import type { DispatchJob } from '@asahi/contracts';
import type { Logger } from '@asahi/logger';
import type { LlmMetrics } from '@asahi/metrics';
import {
  createFlowProducer,
  type FlowProducer,
  type Queue,
  type Redis,
  type Worker,
} from '@asahi/queue';
import type {
  ChatProvider,
  Clock,
  EnrichmentPorts,
  ExactCache,
  PrepareContext,
  SemanticPorts,
} from '@asahi/stages';
import { createRedisStepCache, createRedisStepLock } from './adapters/redis-step-cache';
import { startDispatchWorker } from './dispatch.processor';
import { publishOnFinalFailure } from './final-failure';
import { startPrepareWorker } from './prepare.processor';
import type { ResultPublisher } from './result-publisher';
import { createStepsStarter } from './steps-flow';
import { startStepsWorker } from './steps.processor';

export interface WorkerPoolsDeps {
  /** Which pools to run (`prepare`, `dispatch`, `steps`); others are ignored. */
  pools: ReadonlySet<string>;
  /** A new Redis connection per worker: BullMQ blocks on it while waiting for jobs. */
  connect(name: string): Redis;
  prefix: string;
  logger: Logger;
  metrics: LlmMetrics;
  ports: {
    cache: ExactCache;
    clock: Clock;
    provider: ChatProvider;
    semantic?: SemanticPorts;
    enrichment?: EnrichmentPorts;
  };
  /** Tenant policy and model registry for prepare; absent → platform defaults. */
  contextFor?: (tenantId: string) => Promise<PrepareContext>;
  dispatchQueue: Queue<DispatchJob>;
  publisher: ResultPublisher;
  timeoutMs: number;
  concurrency?: { prepare?: number | undefined; dispatch?: number | undefined };
}

export interface StartedPools {
  prepare?: Worker;
  dispatch?: Worker;
  steps?: Worker;
  /** Adds step flows for prepare; closed with the workers. */
  stepsFlow?: FlowProducer;
}

/** Starts the requested stage pools, each with the final-failure safety net. */
export function startWorkerPools(deps: WorkerPoolsDeps): StartedPools {
  const { prefix, logger, metrics, publisher } = deps;
  const { cache, clock, provider } = deps.ports;
  const started: StartedPools = {};
  if (deps.pools.has('prepare')) {
    // [tier-3 steps] prepare hands multi-step requests to a step flow.
    started.stepsFlow = createFlowProducer(deps.connect('pipeline-steps-flow'), prefix);
    const steps = createStepsStarter({ flows: started.stepsFlow, publisher, clock, logger });
    started.prepare = startPrepareWorker({
      steps,
      connection: deps.connect('pipeline-prepare'),
      prefix,
      logger,
      metrics,
      ports: {
        cache,
        clock,
        ...(deps.ports.semantic ? { semantic: deps.ports.semantic } : {}),
        ...(deps.ports.enrichment ? { enrichment: deps.ports.enrichment } : {}),
      },
      ...(deps.contextFor ? { contextFor: deps.contextFor } : {}),
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
  if (deps.pools.has('steps')) {
    // [tier-3 steps] the step pool; it publishes its own failures (publishOnStepFailure).
    const redis = deps.connect('pipeline-steps');
    started.steps = startStepsWorker({
      connection: deps.connect('pipeline-steps-worker'),
      prefix,
      logger,
      metrics,
      ports: {
        provider,
        cache: createRedisStepCache(redis, prefix),
        lock: createRedisStepLock(redis, prefix),
        clock,
        exactCache: cache,
      },
      publisher,
      timeoutMs: deps.timeoutMs,
    });
  }
  return started;
}
