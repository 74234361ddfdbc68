/**
 * OpenAI pins a model version with a suffix: dated (`gpt-4o-2024-08-06`) or, for older families,
 * four digits (`gpt-3.5-turbo-0125`). Providers also answer with such ids when asked for the
 * alias, so every lookup by model id has to understand them.
 */
const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{4})$/;

/** The alias a snapshot id belongs to (`gpt-4o-2024-08-06` → `gpt-4o`); other ids unchanged. */
export function snapshotBase(id: string): string {
  return id.replace(SNAPSHOT_SUFFIX, '');
}

/**
 * The entry for a model id: the exact id, else the base of a snapshot id. Works on any list
 * keyed by `id` (the registry, the built-in catalog), whatever the entry's state.
 */
export function findModelEntry<T extends { id: string }>(
  entries: readonly T[],
  id: string,
): T | undefined {
  const exact = entries.find((m) => m.id === id);
  if (exact) return exact;
  const base = snapshotBase(id);
  return base === id ? undefined : entries.find((m) => m.id === base);
}
