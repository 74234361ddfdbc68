import type { FeatureScalar, TemplateDefinition } from './enrichment.ports';

/**
 * The template language, on purpose the smallest that works: `{{entityType.key}}` inserts a
 * declared feature, `{{name}}` inserts a request variable (`enrichment.variables.name`), both
 * substituted in one pass (an inserted value is never scanned again), nothing is evaluated, and
 * any other `{{…}}` is reported as malformed when the template is stored.
 */

/** The syntax of an entity type: a lower-case token, never containing `.` or `:`. */
export const ENTITY_TYPE_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
/** The entity types the product stores features of; any other is refused where it is named. */
export const ENTITY_TYPES = ['user', 'organization'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
/** A feature key or variable name: an identifier (`plan`, `display_name`, `input`). */
export const FEATURE_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/**
 * Identifiers that match FEATURE_KEY_PATTERN but name JavaScript object internals: a JSON parser
 * or schema may drop or misread them (`__proto__` silently disappears), so they are refused.
 */
export const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

export function isEntityType(value: string): value is EntityType {
  return (ENTITY_TYPES as readonly string[]).includes(value);
}

export function isReservedKey(key: string): boolean {
  return (RESERVED_KEYS as readonly string[]).includes(key);
}
export const MAX_TEMPLATE_CHARS = 32_000;
export const MAX_TEMPLATE_FEATURES = 64;
/** A rendered template longer than this is not applied (values are capped upstream too). */
export const MAX_RENDERED_CHARS = 200_000;

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const NAME = /^(?:([a-z][a-z0-9_-]{0,63})\.)?([A-Za-z_][A-Za-z0-9_-]{0,63})$/;

export type Placeholder =
  | { kind: 'feature'; name: string; entityType: string; key: string }
  | { kind: 'variable'; name: string };

export interface TemplateIssue {
  /** `template` or `features.<i>`. */
  path: string;
  message: string;
}

/** `user.plan` → `{ entityType: 'user', key: 'plan' }`; null when not of that shape. */
export function parseFeatureName(name: string): { entityType: string; key: string } | null {
  const dot = name.indexOf('.');
  if (dot < 0) return null;
  const entityType = name.slice(0, dot);
  const key = name.slice(dot + 1);
  if (!ENTITY_TYPE_PATTERN.test(entityType) || !FEATURE_KEY_PATTERN.test(key)) return null;
  return { entityType, key };
}

function toPlaceholder(inner: string): Placeholder | null {
  const match = NAME.exec(inner.trim());
  if (!match) return null;
  const [name, entityType, key] = match as unknown as [string, string | undefined, string];
  return entityType ? { kind: 'feature', name, entityType, key } : { kind: 'variable', name };
}

/** Every `{{…}}` of a template: the valid placeholders (in order) and the malformed ones. */
export function scanTemplate(template: string): {
  placeholders: Placeholder[];
  malformed: string[];
} {
  const placeholders: Placeholder[] = [];
  const malformed: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const placeholder = toPlaceholder(match[1]!);
    if (placeholder) placeholders.push(placeholder);
    else malformed.push(match[0]);
  }
  return { placeholders, malformed };
}

/**
 * Why a template cannot be stored (empty when it can): size limits, malformed feature names or
 * placeholders, duplicates, and any `{{entity.key}}` not declared in `features`. Declared
 * features the text does not use are allowed (they are simply not fetched).
 */
export function checkTemplate(definition: TemplateDefinition): TemplateIssue[] {
  const { template, features } = definition;
  const issues: TemplateIssue[] = [];
  if (template.length === 0) issues.push({ path: 'template', message: 'must not be empty' });
  if (template.length > MAX_TEMPLATE_CHARS)
    issues.push({ path: 'template', message: `longer than ${MAX_TEMPLATE_CHARS} characters` });
  if (features.length > MAX_TEMPLATE_FEATURES)
    issues.push({ path: 'features', message: `more than ${MAX_TEMPLATE_FEATURES} features` });
  const declared = new Set<string>();
  features.forEach((feature, i) => {
    const name = parseFeatureName(feature);
    if (!name)
      issues.push({ path: `features.${i}`, message: `"${feature}" is not <entityType>.<key>` });
    else if (!isEntityType(name.entityType))
      issues.push({
        path: `features.${i}`,
        message: `"${feature}": entity type must be one of ${ENTITY_TYPES.join(', ')}`,
      });
    else if (isReservedKey(name.key))
      issues.push({ path: `features.${i}`, message: `"${feature}": "${name.key}" is reserved` });
    else if (declared.has(feature))
      issues.push({ path: `features.${i}`, message: `"${feature}" is declared twice` });
    declared.add(feature);
  });
  const { placeholders, malformed } = scanTemplate(template);
  for (const raw of new Set(malformed))
    issues.push({ path: 'template', message: `malformed placeholder ${raw.slice(0, 80)}` });
  const undeclared = new Set(
    placeholders.filter((p) => p.kind === 'feature' && !declared.has(p.name)).map((p) => p.name),
  );
  for (const name of undeclared)
    issues.push({
      path: 'template',
      message: `{{${name}}} is not declared in features`,
    });
  return issues;
}

/** How a feature value reads in a prompt; `null` reads as empty. */
export function formatFeatureValue(value: FeatureScalar): string {
  return value === null ? '' : String(value);
}

/**
 * Substitutes every valid placeholder with `lookup(placeholder)`; `undefined` renders as empty
 * and is listed in `missing` (each name once). Malformed `{{…}}` are left as written.
 */
export function renderTemplate(
  template: string,
  lookup: (placeholder: Placeholder) => string | undefined,
): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (raw, inner: string) => {
    const placeholder = toPlaceholder(inner);
    if (!placeholder) return raw;
    const value = lookup(placeholder);
    if (value === undefined) missing.add(placeholder.name);
    return value ?? '';
  });
  return { text, missing: [...missing] };
}
