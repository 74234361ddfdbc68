import { QUEUES, type RequestMessage, type StepJob, type TenantPolicy } from '@asahi/contracts';
import type { Logger } from '@asahi/logger';
import { addFlow, type FlowNode, type FlowProducer } from '@asahi/queue';
import { planSteps, type Clock } from '@asahi/stages';
import { priorityOf } from './intake';
import type { ResultPublisher } from './result-publisher';

export interface StepsStarter {
  /**
   * Runs the request as a step flow when it declares steps or decomposes safely, and returns true:
   * the flow (or, for an invalid DAG, a failed result) now owns the request. False: not a
   * multi-step request, dispatch it as usual. `cacheKey` is the exact-cache key the final answer
   * may be stored under (used only for decomposed requests; null to skip).
   */
  start(
    request: RequestMessage,
    cacheKey: string | null,
    timings: Record<string, number>,
    options?: StepsStartOptions,
  ): Promise<boolean>;
}

export interface StepsStartOptions {
  /** The tenant's policy: its optimization mode decides whether a prompt may be decomposed. */
  policy?: TenantPolicy;
  /**
   * The model the client asked for, before prepare's routing. The flow carries it as the
   * request's model: a step without a model of its own runs on it (EXPLICIT) or is routed on
   * its own text (chooseStepModel), never on the routing of the request's messages, so requests
   * that render the same step agree on its model and share its cache entry.
   */
  requestedModel?: string;
}

export interface StepsStarterDeps {
  flows: FlowProducer;
  publisher: ResultPublisher;
  clock: Clock;
  logger: Logger;
}

/** Job ids of a request's flow; stable, so a re-run of prepare does not add a second flow. */
export const stepJobId = (requestId: string, stepId: string) => `${requestId}.step.${stepId}`;
export const assembleJobId = (requestId: string) => `${requestId}.assemble`;

export function createStepsStarter(deps: StepsStarterDeps): StepsStarter {
  return {
    async start(routed, cacheKey, timings, options = {}) {
      const request = options.requestedModel
        ? { ...routed, body: { ...routed.body, model: options.requestedModel } }
        : routed;
      const plan = planSteps(request, deps.clock.now(), options.policy);
      if (plan.kind === 'none') return false;
      const log = deps.logger.child({ requestId: request.requestId, tenantId: request.tenantId });
      if (plan.kind === 'invalid') {
        await deps.publisher.publish(plan.result, []);
        log.info({ stage: 'prepare', reason: plan.result.error?.message }, 'invalid steps');
        return true;
      }
      const enqueuedAt = deps.clock.now();
      const priority = priorityOf(request);
      const stepNode = (stepId: string): FlowNode<StepJob> => ({
        queue: QUEUES.steps,
        name: `step:${stepId}`,
        jobId: stepJobId(request.requestId, stepId),
        data: { kind: 'step', request: plan.request, stepId, enqueuedAt },
        priority,
        children: (plan.tree.get(stepId) ?? []).map(stepNode),
      });
      await addFlow<StepJob>(deps.flows, {
        queue: QUEUES.steps,
        name: 'assemble',
        jobId: assembleJobId(request.requestId),
        // A declared DAG is not part of the exact-cache key, so only decomposed answers go there.
        data: {
          kind: 'assemble',
          request: plan.request,
          cacheKey: plan.decomposed ? cacheKey : null,
          enqueuedAt,
          timings,
        },
        priority,
        children: (plan.tree.get(null) ?? []).map(stepNode),
      });
      log.info(
        { stage: 'prepare', steps: plan.request.steps?.steps.length, decomposed: plan.decomposed },
        'step flow added',
      );
      return true;
    },
  };
}
