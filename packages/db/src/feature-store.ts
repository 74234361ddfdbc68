/** The Postgres side of prompt enrichment: feature values and prompt templates, per tenant. */
export { putFeature, getFeature, deleteFeature } from './feature.repository';
export type { FeatureRow, FeatureScalar, PutFeatureInput } from './feature.repository';
export {
  putPromptTemplate,
  getPromptTemplate,
  deletePromptTemplate,
} from './prompt-template.repository';
export type { PromptTemplateRow, PutPromptTemplateInput } from './prompt-template.repository';
