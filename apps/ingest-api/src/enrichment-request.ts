import { z } from '@asahi/contracts';
import {
  checkTemplate,
  ENTITY_TYPES,
  FEATURE_KEY_PATTERN,
  isEntityType,
  isReservedKey,
  MAX_TEMPLATE_CHARS,
  MAX_TEMPLATE_FEATURES,
} from '@asahi/stages';
import type { Issue, Outcome } from './job-request';

/**
 * Pure validation of the feature and template routes: path parameters and bodies, each failure
 * with the exact path and a reason (the same Outcome/Issue shape as job-request.ts).
 */

/** Entity ids as clients have them (`u-42`, `acme.com`, `ada@example.com`, `crm:123`). */
export const ENTITY_ID_PATTERN = /^[A-Za-z0-9._:@+-]{1,256}$/;
export const TEMPLATE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_FEATURE_KEYS = 100;
export const MAX_FEATURE_STRING_CHARS = 4_096;
/** Raw body caps of the two PUT routes (413 beyond); the schemas bound the parsed content. */
export const FEATURE_BODY_LIMIT_BYTES = 512 * 1024;
export const TEMPLATE_BODY_LIMIT_BYTES = 256 * 1024;

const featureValueSchema = z.union([
  z.string().max(MAX_FEATURE_STRING_CHARS),
  z.number(),
  z.boolean(),
  z.null(),
]);

export const featureBodySchema = z
  .object({
    values: z
      .record(
        z.string().regex(FEATURE_KEY_PATTERN, 'keys are identifiers of [A-Za-z0-9_-], ≤ 64 chars'),
        featureValueSchema,
      )
      .refine((v) => Object.keys(v).length <= MAX_FEATURE_KEYS, {
        message: `at most ${MAX_FEATURE_KEYS} keys`,
      }),
  })
  .strict();
export type FeatureBody = z.infer<typeof featureBodySchema>;

export const templateBodySchema = z
  .object({
    template: z.string().min(1).max(MAX_TEMPLATE_CHARS),
    features: z.array(z.string().max(129)).max(MAX_TEMPLATE_FEATURES).default([]),
  })
  .strict();
export type TemplateBody = z.infer<typeof templateBodySchema>;

function invalid(issues: Issue[]): { ok: false; reason: string; issues: Issue[] } {
  return { ok: false, reason: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues };
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown): Outcome<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return invalid(
    result.error.issues
      .slice(0, 20)
      .map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
  );
}

export function parseFeaturePath(params: {
  entityType: string;
  id: string;
}): Outcome<{ entityType: string; entityId: string }> {
  const issues: Issue[] = [];
  if (!isEntityType(params.entityType))
    issues.push({ path: 'entityType', message: `must be one of ${ENTITY_TYPES.join(', ')}` });
  if (!ENTITY_ID_PATTERN.test(params.id))
    issues.push({ path: 'id', message: 'must be 1-256 characters of [A-Za-z0-9._:@+-]' });
  return issues.length > 0
    ? invalid(issues)
    : { ok: true, value: { entityType: params.entityType, entityId: params.id } };
}

export function parseTemplateId(id: string): Outcome<string> {
  return TEMPLATE_ID_PATTERN.test(id)
    ? { ok: true, value: id }
    : invalid([{ path: 'id', message: 'must be 1-128 characters of [A-Za-z0-9._:-]' }]);
}

/**
 * The body's shape; before it, keys naming object internals (`__proto__`, `constructor`,
 * `prototype`) are refused by name, as the schema would silently drop a `__proto__` key.
 */
export function parseFeatureBody(input: unknown): Outcome<FeatureBody> {
  const values = (input as { values?: unknown } | null)?.values;
  if (values !== null && typeof values === 'object' && !Array.isArray(values)) {
    const reserved = Object.keys(values).filter(isReservedKey);
    if (reserved.length > 0)
      return invalid(
        reserved.map((key) => ({ path: `values.${key}`, message: `"${key}" is a reserved key` })),
      );
  }
  return parseWith(featureBodySchema, input);
}

/** The body's shape, then the template language's rules (every feature placeholder declared). */
export function parseTemplateBody(input: unknown): Outcome<TemplateBody> {
  const parsed = parseWith(templateBodySchema, input);
  if (!parsed.ok) return parsed;
  const issues = checkTemplate(parsed.value);
  return issues.length > 0 ? invalid(issues) : parsed;
}
