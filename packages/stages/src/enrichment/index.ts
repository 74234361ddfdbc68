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
  FEATURE_KEY_PATTERN,
  formatFeatureValue,
  MAX_RENDERED_CHARS,
  MAX_TEMPLATE_CHARS,
  MAX_TEMPLATE_FEATURES,
  parseFeatureName,
  renderTemplate,
  scanTemplate,
} from './prompt-template';
export type { Placeholder, TemplateIssue } from './prompt-template';
export { DEFAULT_ENRICHMENT_BUDGET_MS, enrichRequest } from './enrich.stage';
export type {
  EnrichmentOptions,
  EnrichmentOutcome,
  EnrichmentPorts,
  EnrichmentStatus,
} from './enrich.stage';
export { featureCacheKey, templateCacheKey } from './cache-keys';
