import type { RequestMessage, TaskType, TenantPolicy, WrongAnswerCost } from '@asahi/contracts';
import type { CachedAnswer, Embedder, ExactCache, VectorIndex } from '../ports';
import { decideSemanticHit, semanticEligibility } from '../semantic/index';
import { withinBudget } from '../budget';

export interface SemanticPorts {
  embedder: Embedder;
  index: VectorIndex;
  /** Embedding plus query must finish within this, or the request goes on with tier 1 only. */
  budgetMs: number;
}

export interface SemanticLookupInput {
  request: RequestMessage;
  policy: Pick<TenantPolicy, 'cache'>;
  /** The exact key the answer of this request is (or will be) stored under. */
  cacheKey: string;
  /**
   * What beyond the body changes the answer (`keyExtras`: effective routing, steps, aggressive
   * optimization); part of the scope, with everything `semanticEligibility` puts there.
   */
  extras: Record<string, unknown> | null;
  taskType: TaskType;
  wrongAnswerCost: WrongAnswerCost;
  read: boolean;
  write: boolean;
  ttlSeconds: number;
}

export type SemanticLookup =
  | { kind: 'hit'; answer: CachedAnswer; similarity: number; matchedKey: string }
  | { kind: 'miss'; reason: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'degraded'; reason: 'timeout' | 'error' };

const TOP_K = 5;
const MAX_TEXT = 2_000;

/**
 * Tier 2: embed the request's text, look for a near neighbour in the tenant's namespace with the
 * same scope, and accept it only when the decision policy does (threshold by task type and cost
 * of a wrong answer, plus near-miss verification). A miss records this request's vector, pointing
 * at its exact key, so the answer dispatch stores there becomes findable by paraphrases.
 */
export async function lookupSemantic(
  input: SemanticLookupInput,
  ports: { cache: ExactCache; semantic: SemanticPorts },
): Promise<SemanticLookup> {
  const eligibility = semanticEligibility(input.request, input.policy, input.extras);
  if (!eligibility.eligible) return { kind: 'skipped', reason: eligibility.reason };
  const { embedder, index, budgetMs } = ports.semantic;
  const namespace = input.request.tenantId;
  const embedding = embedder.embed([eligibility.text]).then(([vector]) => {
    if (!vector) throw new Error('embedder returned no vector');
    return vector;
  });
  const remember = (vector: Float32Array) =>
    input.write
      ? index
          .upsert(
            namespace,
            [{ id: input.cacheKey, vector, metadata: metadataOf(input, eligibility) }],
            {
              ttlSeconds: input.ttlSeconds,
            },
          )
          .catch(() => undefined) // remembering is best effort
      : Promise.resolve();
  const outcome = await withinBudget(async () => {
    const vector = await embedding;
    const matches = input.read ? await index.query(namespace, vector, { topK: TOP_K }) : [];
    return { vector, matches };
  }, budgetMs);
  if (outcome.kind !== 'ok') {
    // Too slow to wait for, but still worth remembering once the embedding arrives, so the
    // paraphrases that follow can hit.
    void embedding.then(remember, () => undefined);
    return { kind: 'degraded', reason: outcome.kind };
  }
  const { vector, matches } = outcome.value;

  for (const match of matches) {
    const { scope, text, cacheKey } = match.metadata;
    if (scope !== eligibility.scope || typeof text !== 'string' || typeof cacheKey !== 'string')
      continue;
    if (cacheKey === input.cacheKey) continue; // the exact tier already looked there
    const decision = decideSemanticHit({
      query: eligibility.text,
      candidate: text,
      similarity: match.score,
      taskType: input.taskType,
      wrongAnswerCost: input.wrongAnswerCost,
    });
    if (!decision.hit) continue;
    const answer = await ports.cache.get(namespace, cacheKey);
    if (answer) return { kind: 'hit', answer, similarity: match.score, matchedKey: cacheKey };
  }
  void remember(vector); // off the request's path: nothing waits for it
  return { kind: 'miss', reason: matches.length ? 'no match passed the policy' : 'no neighbours' };
}

function metadataOf(input: SemanticLookupInput, eligibility: { scope: string; text: string }) {
  const { scope, text } = eligibility;
  return { scope, text: text.slice(0, MAX_TEXT), cacheKey: input.cacheKey };
}
