import type { ModelProfile } from '@asahi/contracts';

/**
 * "Can this model be named explicitly?" from the model registry, cached for `ttlMs`. When the
 * registry cannot be read, nothing is rejected: the pipeline makes the final call.
 */
export function createModelCheck(
  listModels: () => Promise<ModelProfile[]>,
  options: { ttlMs: number; now?: () => number },
): { isRunnable(model: string): Promise<boolean> } {
  const now = options.now ?? Date.now;
  let cached: { runnable: Set<string>; loadedAt: number } | undefined;
  return {
    async isRunnable(model) {
      if (!cached || now() - cached.loadedAt >= options.ttlMs) {
        try {
          const models = await listModels();
          const runnable = models.filter((m) => m.enabled && m.kind === 'chat').map((m) => m.id);
          cached = { runnable: new Set(runnable), loadedAt: now() };
        } catch {
          return true;
        }
      }
      return cached.runnable.size === 0 || cached.runnable.has(model);
    },
  };
}
