/** A feature value as stored and served: JSON scalars only, so rendering never walks objects. */
export type FeatureScalar = string | number | boolean | null;
export type FeatureValues = Record<string, FeatureScalar>;

/** A tenant's prompt template and the features (`<entityType>.<key>`) it declares. */
export interface TemplateDefinition {
  template: string;
  features: string[];
}

/**
 * Feature values of one entity. Implementations must scope every read by tenant; `null` means
 * the tenant has no record for that entity.
 */
export interface FeatureReader {
  getFeatures(
    tenantId: string,
    entityType: string,
    entityId: string,
  ): Promise<FeatureValues | null>;
}

/** A tenant's template by id; `null` when the tenant has none with that id. */
export interface TemplateReader {
  getTemplate(tenantId: string, id: string): Promise<TemplateDefinition | null>;
}
