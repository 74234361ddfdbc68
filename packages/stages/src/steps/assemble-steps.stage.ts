import type { RequestMessage, ResultMessage, StepRecord, Usage } from '@asahi/contracts';
import { AppError } from '@asahi/errors';
import { buildResult } from '../result-builder';

/** The step whose output answers the request: `steps.output`, else the last declared step. */
export function outputStepOf(request: RequestMessage): string | undefined {
  const steps = request.steps;
  return steps ? (steps.output ?? steps.steps[steps.steps.length - 1]?.id) : undefined;
}

/**
 * The terminal result of a multi-step request. Usage adds up every step (cached ones at their
 * recorded usage, as an exact hit reports it); `costUsd` is what this request paid, the baseline
 * what every step would have cost computed fresh, and `savings.intermediate` the difference (the
 * cached steps at their original price). `cacheTier` is `intermediate` only when every step came
 * from the step cache. Throws an internal AppError when a step's record is missing.
 */
export function assembleStepsResult(
  request: RequestMessage,
  records: Readonly<Record<string, StepRecord>>,
  completedAt: number,
  timings: Record<string, number> = {},
): ResultMessage {
  const ids = request.steps?.steps.map((s) => s.id) ?? [];
  const missing = ids.find((id) => !records[id]);
  const outputId = outputStepOf(request);
  if (missing !== undefined || outputId === undefined || ids.length === 0)
    throw new AppError('internal', `step record missing for "${missing ?? outputId}"`);
  const all = ids.map((id) => records[id]!);
  const out = records[outputId]!;
  const sum = (f: (r: StepRecord) => number) => all.reduce((acc, r) => acc + f(r), 0);
  const usage: Usage = {
    promptTokens: sum((r) => r.usage.promptTokens),
    completionTokens: sum((r) => r.usage.completionTokens),
    totalTokens: sum((r) => r.usage.totalTokens),
  };
  const costUsd = sum((r) => r.costUsd);
  const baselineCostUsd = sum((r) => r.originalCostUsd);
  const stepTimings = Object.fromEntries(all.map((r) => [`step.${r.stepId}`, r.ms]));
  const result = buildResult(request, {
    status: 'succeeded',
    completedAt,
    model: out.model,
    provider: out.provider,
    output: out.output,
    usage,
    costUsd,
    baselineCostUsd,
    cacheTier: all.every((r) => r.cached) ? 'intermediate' : 'none',
    attempts: sum((r) => r.attempts),
    timings: { ...timings, ...stepTimings },
  });
  const intermediate = sum((r) => (r.cached ? r.originalCostUsd : 0));
  result.savings = { cache: 0, intermediate, routing: 0, tokens: 0, batch: 0 };
  return result;
}

/**
 * The terminal result of a step flow that cannot finish: `expired` (`deadline_exceeded`) once the
 * deadline has passed; `failed` with `unavailable` (retryable: try again later) when the step's
 * model and every fallback had an open circuit breaker until past the deadline; else `failed`
 * with `step_failed` naming the step and its cause (`internal` when the steps all ran but their
 * assembly failed). `causeCode` is the code of the error that ended the step, when known.
 */
export function stepFailureResult(
  request: RequestMessage,
  failure: {
    stepId: string | null;
    cause: string;
    causeCode?: string | undefined;
    attempts: number;
    now: number;
  },
): ResultMessage {
  const expired = Date.parse(request.deadlineAt) <= failure.now;
  const where = failure.stepId === null ? 'Assembling the steps' : `Step "${failure.stepId}"`;
  const unavailable = failure.stepId !== null && failure.causeCode === 'unavailable';
  return buildResult(request, {
    status: expired ? 'expired' : 'failed',
    completedAt: failure.now,
    model: request.body.model,
    provider: 'none',
    attempts: failure.attempts,
    timings: {},
    error: expired
      ? {
          code: 'deadline_exceeded',
          message: 'The request reached its deadline before its steps finished',
          retryable: false,
        }
      : {
          code: unavailable ? 'unavailable' : failure.stepId === null ? 'internal' : 'step_failed',
          message: `${where} failed: ${failure.cause}`.slice(0, 500),
          retryable: unavailable,
        },
  });
}
