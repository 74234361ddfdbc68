/**
 * Redis keys of the feature-store cache. They live here, in a package both the ingest API (which
 * deletes them after a write) and the pipeline (which fills them on a read) import, so the two
 * can never disagree on the layout. `prefix` is the namespace's queue prefix (`asahi`,
 * `asahi-<ns>`); the tenant id in braces keeps one tenant's keys in one Redis Cluster slot.
 * Entity types and template features never contain `:` (see ENTITY_TYPE_PATTERN), so the entity
 * id after them cannot make two keys collide.
 */
export function featureCacheKey(
  prefix: string,
  tenantId: string,
  entityType: string,
  entityId: string,
): string {
  return `${prefix}:enrich:{${tenantId}}:feature:${entityType}:${entityId}`;
}

export function templateCacheKey(prefix: string, tenantId: string, templateId: string): string {
  return `${prefix}:enrich:{${tenantId}}:template:${templateId}`;
}

/**
 * The generation of a cached entry: bumped by every committed write (then the entry is deleted),
 * read together with the entry by the pipeline, which fills the entry only if the generation is
 * still the one it read before asking Postgres. `gen` is a segment of its own right after the
 * tenant, so no entity or template id (which may contain `:`) can make it collide with an entry.
 */
export function featureGenerationKey(
  prefix: string,
  tenantId: string,
  entityType: string,
  entityId: string,
): string {
  return `${prefix}:enrich:{${tenantId}}:gen:feature:${entityType}:${entityId}`;
}

export function templateGenerationKey(
  prefix: string,
  tenantId: string,
  templateId: string,
): string {
  return `${prefix}:enrich:{${tenantId}}:gen:template:${templateId}`;
}
