import type { BatchJob, DispatchJob } from '@asahi/contracts';
import type { DispatchBatchRepository } from '@asahi/db';
import type { OpenAiBatchClient } from '@asahi/provider-openai';
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
  PendingItem,
  ChatProvider,
  Clock,
  EnrichmentPorts,
  ExactCache,
  PrepareContext,
  SemanticPorts,
} from '@asahi/stages';
import {
  createRedisStepCache,
  createRedisStepLock,
  type StepCacheBounds,
} from './adapters/redis-step-cache';
import { createRedisAccumulator, createRedisFairShare } from './adapters/redis-accumulator';
import type { RedisBreakers } from './adapters/redis-breaker';
import { createRedisRateLimiter } from './adapters/redis-rate-limiter';
import { createBatchScheduler } from './batch-scheduler';
import { startBatchWorker } from './batch.processor';
import { createDispatchEnqueuer } from './dispatch-enqueue';
import type { DispatchSettings } from './dispatch-settings';
import { startDispatchWorker } from './dispatch.processor';
import { publishOnFinalFailure } from './final-failure';
import { startPrepareWorker } from './prepare.processor';
import type { ResultPublisher } from './result-publisher';
import { createStepDispatcher } from './step-dispatch';
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
  /** Deadline-aware dispatch: the Batch API driver queue, its state and its client. */
  batchQueue: Queue<BatchJob>;
  deadQueue: Queue<unknown>;
  batches: DispatchBatchRepository;
  batchClient: OpenAiBatchClient;
  breakers: RedisBreakers;
  settings: DispatchSettings;
  /** Shared Redis connection for rate limits, fair-share counters and accumulated requests. */
  redis: Redis;
  publisher: ResultPublisher;
  timeoutMs: number;
  concurrency?: {
    prepare?: number | undefined;
    dispatch?: number | undefined;
    steps?: number | undefined;
  };
  /** Tier-3 step cache bounds (default 100k entries per tenant, 256 KiB per entry). */
  stepCache?: StepCacheBounds;
}

export interface StartedPools {
  prepare?: Worker;
  dispatch?: Worker;
  steps?: Worker;
  batches?: Worker;
  /** Adds step flows for prepare; closed with the workers. */
  stepsFlow?: FlowProducer;
}

/** Starts the requested stage pools, each with the final-failure safety net. */
export function startWorkerPools(deps: WorkerPoolsDeps): StartedPools {
  const { prefix, logger, metrics, publisher } = deps;
  const { cache, clock, provider } = deps.ports;
  const started: StartedPools = {};
  const { redis, settings } = deps;
  const accumulator = createRedisAccumulator(redis, { prefix });
  const weightOf = async (tenantId: string) =>
    (deps.contextFor ? (await deps.contextFor(tenantId)).policy.fairShareWeight : undefined) ?? 1;
  // Prices come from the same cached registry prepare routes with (catalog when absent).
  const registry = deps.contextFor
    ? { registry: async (tenantId: string) => (await deps.contextFor!(tenantId)).registry }
    : {};
  const enqueuer = createDispatchEnqueuer({
    queue: deps.dispatchQueue,
    fairShare: createRedisFairShare(redis, { prefix }),
    weightOf,
    policy: {
      realtimeAllowanceMs: settings.batchPolicy.realtimeAllowanceMs,
      urgentWindowMs: 5 * 60_000,
    },
  });
  const scheduler = createBatchScheduler({
    batchQueue: deps.batchQueue,
    accumulator,
    batches: deps.batches,
    settings,
  });
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
      enqueuer,
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
      ports: { provider, cache, clock, ...registry },
      publisher,
      timeoutMs: deps.timeoutMs,
      concurrency: deps.concurrency?.dispatch,
      limiter: createRedisRateLimiter(redis, { prefix }),
      breakers: deps.breakers,
      settings,
      enqueuer,
      dead: { deadQueue: deps.deadQueue, metrics },
      ...(settings.batchApi
        ? {
            accumulate: (job: DispatchJob, item: PendingItem) =>
              scheduler.accumulate({ job, item }),
          }
        : {}),
    });
    publishOnFinalFailure(started.dispatch, publisher, logger, {
      deadQueue: deps.deadQueue,
      metrics,
    });
    started.batches = startBatchWorker({
      connection: deps.connect('pipeline-batches'),
      prefix,
      logger,
      metrics,
      batchQueue: deps.batchQueue,
      accumulator,
      batches: deps.batches,
      client: deps.batchClient,
      enqueuer,
      publisher,
      ports: { cache, clock, ...registry },
      providerName: provider.name,
      settings,
    });
    // Batch API jobs whose driver job was lost (a worker died between recording the batch and
    // queueing it) are resumed from PostgreSQL: at start, then every minute.
    const resume = () =>
      scheduler
        .resume()
        .then((n) => n > 0 && logger.debug({ batches: n }, 're-queued unfinished Batch API jobs'))
        .catch((err: unknown) => logger.warn({ err }, 'could not resume Batch API jobs'));
    void resume();
    const timer = setInterval(() => void resume(), 60_000).unref();
    started.batches.on('closed', () => clearInterval(timer));
  }
  if (deps.pools.has('steps')) {
    // [tier-3 steps] the step pool; it publishes its own failures (publishOnStepFailure).
    // Step calls share dispatch's rate-limit budget, breakers and fallback chains (same keys).
    const stepRedis = deps.connect('pipeline-steps');
    const onEvict = (count: number) => metrics.cacheEvictions.inc({ tier: 'intermediate' }, count);
    started.steps = startStepsWorker({
      connection: deps.connect('pipeline-steps-worker'),
      prefix,
      logger,
      metrics,
      ports: {
        provider,
        cache: createRedisStepCache(stepRedis, prefix, deps.stepCache, onEvict),
        lock: createRedisStepLock(stepRedis, prefix),
        dispatcher: createStepDispatcher({
          provider,
          limiter: createRedisRateLimiter(redis, { prefix }),
          breakers: deps.breakers,
          settings,
          metrics,
        }),
        clock,
        exactCache: cache,
      },
      ...(deps.contextFor ? { contextFor: deps.contextFor } : {}),
      publisher,
      timeoutMs: deps.timeoutMs,
      concurrency: deps.concurrency?.steps,
    });
  }
  return started;
}
