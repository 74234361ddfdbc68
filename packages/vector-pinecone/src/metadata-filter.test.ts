import { describe, expect, it } from 'vitest';
import { FilterError, matchesFilter } from './metadata-filter';

const record = { genre: 'drama', year: 2019, expiresAt: 1000, live: true, tags: ['a', 'b'] };

describe('matchesFilter (Pinecone filter subset)', () => {
  it.each([
    { filter: undefined, expected: true },
    { filter: { genre: 'drama' }, expected: true },
    { filter: { genre: { $eq: 'comedy' } }, expected: false },
    { filter: { genre: { $ne: 'comedy' } }, expected: true },
    { filter: { expiresAt: { $gt: 999 } }, expected: true },
    { filter: { expiresAt: { $gt: 1000 } }, expected: false },
    { filter: { expiresAt: { $gte: 1000 } }, expected: true },
    { filter: { expiresAt: { $lt: 1000 } }, expected: false },
    { filter: { expiresAt: { $lte: 1000 } }, expected: true },
    { filter: { year: { $gte: 2000, $lt: 2020 } }, expected: true },
    { filter: { year: { $in: [2018, 2019] } }, expected: true },
    { filter: { year: { $nin: [2018, 2019] } }, expected: false },
    { filter: { tags: { $in: ['b', 'z'] } }, expected: true },
    { filter: { tags: 'a' }, expected: true },
    { filter: { missing: { $exists: false } }, expected: true },
    { filter: { live: { $exists: true }, genre: 'drama' }, expected: true },
    { filter: { missing: { $gt: 1 } }, expected: false },
    { filter: { $and: [{ genre: 'drama' }, { year: { $gt: 2020 } }] }, expected: false },
    { filter: { $or: [{ genre: 'comedy' }, { year: { $gt: 2000 } }] }, expected: true },
  ])('$filter → $expected', ({ filter, expected }) => {
    expect(matchesFilter(record, filter)).toBe(expected);
  });

  it.each([{ $not: {} }, { year: { $regex: '.' } }, { $and: { genre: 'drama' } }])(
    'rejects unsupported filter %j',
    (filter) => {
      expect(() => matchesFilter(record, filter)).toThrow(FilterError);
    },
  );
});
