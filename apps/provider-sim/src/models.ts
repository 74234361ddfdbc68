import { MODEL_CATALOG, findModel, type ModelInfo } from '@asahi/contracts';

/** Native output sizes of the embedding models the simulator serves. */
const EMBEDDING_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
};

/** `created` timestamps like OpenAI's model objects carry; fixed so responses stay deterministic. */
const MODEL_CREATED = 1_705_000_000;

/**
 * Resolves a requested model id, accepting dated snapshots (`gpt-4o-mini-2024-07-18`) the way
 * OpenAI aliases them, so clients pinned to a snapshot still work against the simulator.
 */
export function resolveModel(id: string): ModelInfo | undefined {
  return findModel(id) ?? findModel(id.replace(/-\d{4}-\d{2}-\d{2}$/, ''));
}

export function embeddingDimensions(model: ModelInfo): number {
  return EMBEDDING_DIMENSIONS[model.id] ?? 1536;
}

export interface OpenAiModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export function toModelObject(
  model: ModelInfo,
  index = MODEL_CATALOG.indexOf(model),
): OpenAiModelObject {
  return {
    id: model.id,
    object: 'model',
    created: MODEL_CREATED + Math.max(0, index) * 86_400,
    owned_by: 'system',
  };
}

export function listModelObjects(): OpenAiModelObject[] {
  return MODEL_CATALOG.map((m, i) => toModelObject(m, i));
}

/** OpenAI's `system_fingerprint`: `fp_` + 10 hex chars, stable per model here. */
export function systemFingerprint(modelId: string, hashHex: (s: string) => string): string {
  return `fp_${hashHex(`fingerprint:${modelId}`).slice(0, 10)}`;
}
