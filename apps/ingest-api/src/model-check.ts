import type { ModelProfile, RoutingMode } from '@asahi/contracts';
import { resolveModel } from '@asahi/stages';
import type { JobBody } from './job-request';

/**
 * "Can this model be named explicitly?" answered by routing's own `resolveModel` (so ingest and
 * the pipeline agree, dated snapshots included) over the model registry, cached for `ttlMs`.
 * When the registry cannot be read or is empty, nothing is rejected: the pipeline decides.
 */
export function createModelCheck(
  listModels: () => Promise<ModelProfile[]>,
  options: { ttlMs: number; now?: () => number },
): ModelCheck {
  const now = options.now ?? Date.now;
  let cached: { registry: ModelProfile[]; loadedAt: number } | undefined;
  return {
    async isRunnable(model) {
      if (!cached || now() - cached.loadedAt >= options.ttlMs) {
        try {
          cached = { registry: await listModels(), loadedAt: now() };
        } catch {
          return true;
        }
      }
      return cached.registry.length === 0 || resolveModel(cached.registry, model).ok;
    },
  };
}

/** Whether a model can be run when named explicitly. */
export interface ModelCheck {
  isRunnable(model: string): Promise<boolean>;
}

/**
 * The named models the check refuses (each distinct name asked once), with where they were named,
 * in the order given.
 */
export async function unrunnableModels<T extends { model: string }>(
  named: readonly T[],
  check: ModelCheck,
): Promise<T[]> {
  const names = [...new Set(named.map((n) => n.model))];
  const runnable = await Promise.all(names.map((m) => check.isRunnable(m)));
  const refused = new Set(names.filter((_, i) => !runnable[i]));
  return named.filter((n) => refused.has(n.model));
}

/**
 * The model a body names for EXPLICIT routing (run as is, so it must exist now); undefined for
 * AUTOPILOT and GUIDED, which treat `model` as the baseline only. The mode is the request's,
 * else the tenant policy's, else EXPLICIT: the same precedence the pipeline's router applies.
 */
export function explicitModelOf(
  body: Pick<JobBody, 'model' | 'routing'>,
  tenantMode?: RoutingMode,
): string | undefined {
  return (body.routing?.mode ?? tenantMode ?? 'explicit') === 'explicit' ? body.model : undefined;
}

/** A model a body will run exactly as named, and where the body names it. */
export interface NamedModel {
  path: string;
  model: string;
}

/**
 * Every model the body will run as named, so every one must be runnable now: `model` under
 * EXPLICIT routing (see explicitModelOf), and each step's own `model`, whatever the routing mode
 * (routing chooses the request's model, a step's named model is run as is).
 */
export function modelsRunAsNamed(
  body: Pick<JobBody, 'model' | 'routing' | 'steps'>,
  tenantMode?: RoutingMode,
): NamedModel[] {
  const named: NamedModel[] = [];
  const explicit = explicitModelOf(body, tenantMode);
  if (explicit !== undefined) named.push({ path: 'model', model: explicit });
  body.steps?.steps.forEach((step, i) => {
    if (step.model !== undefined) named.push({ path: `steps.steps.${i}.model`, model: step.model });
  });
  return named;
}
