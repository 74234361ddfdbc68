import { TASK_TYPES, type ModelProfile, type TaskType } from '@asahi/contracts';
import type { PrismaClient } from './client';
import type { ModelRegistry } from './generated/prisma/client';
import { toNumber } from './rows';

/**
 * The model registry (`model_registry`), seeded by the migration `*_seed_model_registry`.
 * Routing reads it through `listModels()`; callers cache the list (the pipeline keeps it ~30 s),
 * so an operator's change (price, `enabled`) takes effect within that time without a restart.
 */
export interface ModelRegistryRepository {
  /** Every model, enabled or not (routing must tell "disabled" from "unknown"), ordered by id. */
  listModels(): Promise<ModelProfile[]>;
  /** Inserts or replaces every field of the model with this id; returns the stored profile. */
  upsertModel(profile: ModelProfile): Promise<ModelProfile>;
}

export function createModelRegistryRepository(prisma: PrismaClient): ModelRegistryRepository {
  return {
    async listModels() {
      const rows = await prisma.modelRegistry.findMany({ orderBy: { id: 'asc' } });
      return rows.map(toModelProfile);
    },
    async upsertModel(profile) {
      const { id, ...fields } = profile;
      const data = { ...fields, quality: qualityOf(fields.quality) };
      const row = await prisma.modelRegistry.upsert({
        where: { id },
        create: { id, ...data },
        update: data,
      });
      return toModelProfile(row);
    },
  };
}

/**
 * Every task type gets a score: a missing or malformed one is 0 (never chosen on quality) rather
 * than an error, so one bad row cannot stop routing for every request.
 */
export function qualityOf(raw: unknown): Record<TaskType, number> {
  const source = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const quality = {} as Record<TaskType, number>;
  for (const task of TASK_TYPES) {
    const score = source[task];
    quality[task] =
      typeof score === 'number' && Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
  }
  return quality;
}

export function toModelProfile(row: ModelRegistry): ModelProfile {
  return {
    id: row.id,
    provider: row.provider,
    // Anything but 'chat' is treated as not routable to for chat requests.
    kind: row.kind === 'chat' ? 'chat' : 'embedding',
    inputPer1M: toNumber(row.inputPer1M),
    outputPer1M: toNumber(row.outputPer1M),
    batchInputPer1M: toNumber(row.batchInputPer1M),
    batchOutputPer1M: toNumber(row.batchOutputPer1M),
    contextWindow: row.contextWindow,
    capabilities: row.capabilities,
    quality: qualityOf(row.quality),
    typicalLatencyMs: row.typicalLatencyMs,
    enabled: row.enabled,
  };
}
