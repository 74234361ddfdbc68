import type { z } from 'zod';

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Validates untrusted input (a Kafka value, a job payload) into a typed value or a precise reason. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
): ParseOutcome<z.infer<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const reason = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, reason };
}

/** Parses a raw Kafka value: JSON first, then the schema. */
export function parseJsonWith<S extends z.ZodType>(
  schema: S,
  raw: Buffer | string | null,
): ParseOutcome<z.infer<S>> {
  if (raw === null) return { ok: false, reason: 'empty message value' };
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `value is not JSON: ${(err as Error).message}` };
  }
  return parseWith(schema, json);
}
