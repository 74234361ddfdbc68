import OpenAI from 'openai';
import { createThreadedEmbedder } from '@asahi/embedder-local';
import type { LlmMetrics } from '@asahi/metrics';
import { createOpenAiEmbedder } from '@asahi/provider-openai';
import type { Redis } from '@asahi/queue';
import type { Embedder, SemanticPorts, VectorIndex } from '@asahi/stages';
import { createRedisVectorIndex } from '@asahi/vector-index';
import type { PipelineConfig } from '../config';

/** The tier-2 ports picked by configuration; null when the semantic cache is switched off. */
export async function createSemanticPorts(
  config: PipelineConfig,
  redis: Redis,
  prefix: string,
  metrics: LlmMetrics,
): Promise<SemanticPorts | null> {
  if (!config.SEMANTIC_CACHE) return null;
  const embedder: Embedder =
    config.EMBEDDER === 'openai'
      ? createOpenAiEmbedder({
          client: new OpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL }),
          model: config.EMBEDDING_MODEL,
        })
      : // Off the event loop, so the request's time budget can fire while the model computes.
        await createThreadedEmbedder({ maxQueuedCalls: config.EMBEDDER_MAX_QUEUE });
  // The Pinecone SDK is only loaded when it is configured.
  const index: VectorIndex =
    config.VECTOR_INDEX === 'pinecone'
      ? (await import('@asahi/vector-pinecone')).createPineconeVectorIndex({
          apiKey: required(config.PINECONE_API_KEY, 'PINECONE_API_KEY'),
          indexName: required(config.PINECONE_INDEX, 'PINECONE_INDEX'),
          indexHost: required(config.PINECONE_HOST, 'PINECONE_HOST'),
          namespacePrefix: prefix, // Pinecone namespace `${prefix}/${tenantId}`
        })
      : createRedisVectorIndex({
          redis,
          prefix: `${prefix}:vec`,
          dimensions: embedder.dimensions,
          maxEntriesPerNamespace: config.SEMANTIC_MAX_ENTRIES_PER_TENANT,
          maxReplicaBytes: config.VECTOR_REPLICA_MAX_MB * 1024 * 1024,
          onEvict: (_ns, count) => metrics.cacheEvictions.inc({ tier: 'semantic' }, count),
        });
  return { embedder, index, budgetMs: config.SEMANTIC_BUDGET_MS };
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is required when VECTOR_INDEX=pinecone`);
  return value;
}
