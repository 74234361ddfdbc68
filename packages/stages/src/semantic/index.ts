export { canonicalPrompt, isAboutSurfaceForm } from './canonical-prompt';
export { verifyNearMiss, DEFAULT_VERIFY_OPTIONS } from './near-miss.verify';
export type { NearMissReason, Verification, VerifyOptions } from './near-miss.verify';
export { decideSemanticHit, DEFAULT_SEMANTIC_POLICY } from './semantic-decision';
export type {
  CostLevel,
  SemanticDecision,
  SemanticDecisionReason,
  SemanticHitInput,
  SemanticPolicy,
} from './semantic-decision';
export { semanticEligibility } from './eligibility';
export type { SemanticEligibility, SemanticEligibilityReason } from './eligibility';
