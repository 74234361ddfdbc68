import type { ModelProfile } from '@asahi/contracts';
import { resolveModel } from '@asahi/stages';

/**
 * "Can this model be named explicitly?" answered by routing's own `resolveModel` (so ingest and
 * the pipeline agree, dated snapshots included) over the model registry, cached for `ttlMs`.
 * When the registry cannot be read or is empty, nothing is rejected: the pipeline decides.
 */
export function createModelCheck(
  listModels: () => Promise<ModelProfile[]>,
  options: { ttlMs: number; now?: () => number },
): { isRunnable(model: string): Promise<boolean> } {
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
