/**
 * Pinecone's metadata filter language (a MongoDB subset), evaluated in memory by the fixture:
 * `{field: value}` (implicit $eq), $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, and the
 * logical $and / $or. Kept apart from the HTTP code so it is unit-testable.
 */
export type MetadataValue = string | number | boolean | string[];
export type Metadata = Record<string, MetadataValue>;
export type Filter = Record<string, unknown>;

const COMPARE: Record<string, (actual: MetadataValue | undefined, expected: unknown) => boolean> = {
  $eq: (a, e) => (Array.isArray(a) ? a.includes(e as string) : a === e),
  $ne: (a, e) => (Array.isArray(a) ? !a.includes(e as string) : a !== e),
  $gt: (a, e) => typeof a === 'number' && typeof e === 'number' && a > e,
  $gte: (a, e) => typeof a === 'number' && typeof e === 'number' && a >= e,
  $lt: (a, e) => typeof a === 'number' && typeof e === 'number' && a < e,
  $lte: (a, e) => typeof a === 'number' && typeof e === 'number' && a <= e,
  $in: (a, e) =>
    Array.isArray(e) && (Array.isArray(a) ? a.some((x) => e.includes(x)) : e.includes(a)),
  $nin: (a, e) =>
    Array.isArray(e) && !(Array.isArray(a) ? a.some((x) => e.includes(x)) : e.includes(a)),
  $exists: (a, e) => (a !== undefined) === e,
};

export class FilterError extends Error {}

export function matchesFilter(metadata: Metadata, filter: Filter | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return asList(condition).every((f) => matchesFilter(metadata, f));
    if (key === '$or') return asList(condition).some((f) => matchesFilter(metadata, f));
    if (key.startsWith('$')) throw new FilterError(`unsupported operator ${key}`);
    const actual = metadata[key];
    if (condition === null || typeof condition !== 'object' || Array.isArray(condition))
      return COMPARE.$eq!(actual, condition);
    return Object.entries(condition).every(([op, expected]) => {
      const compare = COMPARE[op];
      if (!compare) throw new FilterError(`unsupported operator ${op}`);
      return compare(actual, expected);
    });
  });
}

function asList(condition: unknown): Filter[] {
  if (!Array.isArray(condition)) throw new FilterError('$and/$or take a list of filters');
  return condition as Filter[];
}
