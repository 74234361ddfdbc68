import type { TaskType, WrongAnswerCost } from '@asahi/contracts';
import { canonicalPrompt, isAboutSurfaceForm } from './canonical-prompt';
import { verifyNearMiss, type NearMissReason } from './near-miss.verify';

export interface CostLevel {
  /** Added to the task type's minimum similarity. */
  similarityOffset: number;
  /** Share of topic words that may differ between query and candidate (see `verifyNearMiss`). */
  maxTopicShare: number;
}

/** `wrongAnswerCost` (contracts): how bad serving another prompt's answer is; higher = stricter. */
export interface SemanticPolicy {
  /** Used when the decision input does not name a cost. */
  wrongAnswerCost: WrongAnswerCost;
  /**
   * Minimum cosine similarity per task type at medium cost; `null` turns semantic reuse off for
   * that task type. Calibrated for one embedder: thresholds do not transfer between models.
   */
  minSimilarity: Record<TaskType, number | null>;
  costLevels: Record<WrongAnswerCost, CostLevel>;
  /**
   * Extra similarity required per unit of differing topic-word share (half the words differ →
   * half of this): the more a rewording changes, the closer it must embed.
   */
  similarityPerTopicShare: number;
  /**
   * Task types whose canonical form (case and punctuation folded) may be matched. Not those whose
   * answer copies the prompt's words (translation, extraction): there the case is in the answer.
   */
  canonicalTaskTypes: readonly TaskType[];
}

/**
 * Calibrated for the default embedder (Universal Sentence Encoder Lite, `@asahi/embedder-local`)
 * on a seeded half of the Quora pairs; see docs/semantic-cache.md for the measured rates.
 *
 * - Open questions and chat (qa, chat) tolerate rewording best.
 * - reasoning and classification answers hinge on details, so they need closer prompts.
 * - summarization, extraction and translation transform the text they are given: a reworded
 *   input deserves its own output, so only near-identical inputs (no differing topic word at
 *   the similarity required) are reused.
 * - code is off: identifiers and symbols are meaning, and embeddings of code blur them.
 */
export const DEFAULT_SEMANTIC_POLICY: SemanticPolicy = {
  wrongAnswerCost: 'medium',
  minSimilarity: {
    qa: 0.94,
    chat: 0.94,
    reasoning: 0.96,
    classification: 0.96,
    summarization: 0.985,
    extraction: 0.985,
    translation: 0.985,
    code: null,
  },
  costLevels: {
    low: { similarityOffset: -0.03, maxTopicShare: 0.5 },
    medium: { similarityOffset: 0, maxTopicShare: 0.4 },
    high: { similarityOffset: 0.03, maxTopicShare: 0.2 },
  },
  similarityPerTopicShare: 0.1,
  canonicalTaskTypes: ['qa', 'chat', 'reasoning', 'classification', 'summarization'],
};

export interface SemanticHitInput {
  /** The new prompt (the text that was embedded, see `semanticEligibility`). */
  query: string;
  /** The cached prompt the index returned. */
  candidate: string;
  /** Cosine similarity of their embeddings. */
  similarity: number;
  taskType: TaskType;
  /** Fields given here replace those of `DEFAULT_SEMANTIC_POLICY`. */
  policy?: Partial<SemanticPolicy>;
  /** Overrides `policy.wrongAnswerCost` for this request. */
  wrongAnswerCost?: WrongAnswerCost;
  /**
   * Scopes (system prompt, model: `semanticEligibility(…).scope`) of both prompts. Answers are
   * never shared across scopes, whatever the similarity.
   */
  scopes?: { query: string; candidate: string };
}

export type SemanticDecisionReason =
  | 'canonical-match'
  | 'verified-similar'
  | 'scope-mismatch'
  | 'surface-form'
  | 'task-disabled'
  | 'below-threshold'
  | `near-miss:${NearMissReason}`;

export interface SemanticDecision {
  hit: boolean;
  reason: SemanticDecisionReason;
  /** The similarity that was required (absent for canonical matches and early refusals). */
  threshold?: number;
  detail?: string;
}

/**
 * Whether a cached answer to `candidate` may be served for `query`. In order: the scopes must
 * be equal; neither prompt may be about its surface form (commas, letter case, spelling…: what
 * both the canonical form and embeddings ignore is then the question); an equal canonical form
 * is a hit (where the task type allows it); otherwise the
 * similarity must reach the task type's threshold for the cost of a wrong answer, the
 * candidate must pass near-miss verification, and differing topic words raise the bar.
 */
export function decideSemanticHit(input: SemanticHitInput): SemanticDecision {
  const policy: SemanticPolicy = { ...DEFAULT_SEMANTIC_POLICY, ...input.policy };
  if (input.scopes && input.scopes.query !== input.scopes.candidate)
    return { hit: false, reason: 'scope-mismatch' };
  if (isAboutSurfaceForm(input.query) || isAboutSurfaceForm(input.candidate))
    return { hit: false, reason: 'surface-form' };
  if (
    policy.canonicalTaskTypes.includes(input.taskType) &&
    canonicalPrompt(input.query) === canonicalPrompt(input.candidate)
  )
    return { hit: true, reason: 'canonical-match' };
  const base = policy.minSimilarity[input.taskType];
  if (base === null) return { hit: false, reason: 'task-disabled' };
  const level = policy.costLevels[input.wrongAnswerCost ?? policy.wrongAnswerCost];
  const threshold = base + level.similarityOffset;
  if (!(input.similarity >= threshold)) return { hit: false, reason: 'below-threshold', threshold };
  const verification = verifyNearMiss(input.query, input.candidate, {
    maxTopicShare: level.maxTopicShare,
  });
  if (!verification.ok)
    return {
      hit: false,
      reason: `near-miss:${verification.reason}`,
      threshold,
      detail: verification.detail,
    };
  const required = threshold + policy.similarityPerTopicShare * verification.topicShare;
  if (input.similarity < required)
    return {
      hit: false,
      reason: 'below-threshold',
      threshold: required,
      detail: `${verification.topicDifference} differing topic words`,
    };
  return { hit: true, reason: 'verified-similar', threshold: required };
}
