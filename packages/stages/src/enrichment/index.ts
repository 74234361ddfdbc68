export type {
  FeatureReader,
  FeatureScalar,
  FeatureValues,
  TemplateDefinition,
  TemplateReader,
} from './enrichment.ports';
export {
  checkTemplate,
  ENTITY_TYPE_PATTERN,
  ENTITY_TYPES,
  FEATURE_KEY_PATTERN,
  formatFeatureValue,
  isEntityType,
  isReservedKey,
  MAX_RENDERED_CHARS,
  MAX_TEMPLATE_CHARS,
  MAX_TEMPLATE_FEATURES,
  parseFeatureName,
  renderTemplate,
  RESERVED_KEYS,
  scanTemplate,
} from './prompt-template';
export type { EntityType, Placeholder, TemplateIssue } from './prompt-template';
export { DEFAULT_ENRICHMENT_BUDGET_MS, enrichRequest } from './enrich.stage';
export type {
  EnrichmentOptions,
  EnrichmentOutcome,
  EnrichRequestPorts,
  EnrichmentStatus,
} from './enrich.stage';
export {
  featureCacheKey,
  featureGenerationKey,
  templateCacheKey,
  templateGenerationKey,
} from './cache-keys';
