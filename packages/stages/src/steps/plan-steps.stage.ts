import type { RequestMessage, ResultMessage, TenantPolicy } from '@asahi/contracts';
import { buildResult } from '../result-builder';
import { decomposeRequest } from './decompose';
import { planFlowTree, validateSteps } from './step-graph';

export type StepsPlan =
  /** Not a multi-step request: carry on with a single dispatch. */
  | { kind: 'none' }
  /** Declared steps that do not form a valid DAG: the request ends here, failed. */
  | { kind: 'invalid'; result: ResultMessage }
  /**
   * Run as a flow. `request.steps` holds the steps (declared or decomposed); `tree` maps each
   * step (and `null`, the root) to the steps that run below it (see planFlowTree).
   */
  | {
      kind: 'flow';
      request: RequestMessage;
      tree: Map<string | null, string[]>;
      decomposed: boolean;
    };

/**
 * Decides whether a request runs as steps: its declared steps, else a safe decomposition (under
 * the optimization mode the request, else the tenant's `policy`, else the platform default sets).
 */
export function planSteps(
  request: RequestMessage,
  now: number,
  policy?: Pick<TenantPolicy, 'optimization'>,
): StepsPlan {
  const steps = request.steps ?? decomposeRequest(request, policy);
  if (!steps) return { kind: 'none' };
  const checked = validateSteps(steps);
  if (!checked.ok) {
    const error = {
      code: 'invalid_request',
      message: `Invalid steps: ${checked.reason}`,
      retryable: false,
    };
    const result = buildResult(request, {
      status: 'failed',
      completedAt: now,
      model: request.body.model,
      provider: 'none',
      attempts: 0,
      timings: {},
      error,
    });
    return { kind: 'invalid', result };
  }
  return {
    kind: 'flow',
    request: { ...request, steps },
    tree: planFlowTree(checked.graph),
    decomposed: !request.steps,
  };
}
