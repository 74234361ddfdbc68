import { isAppError } from '@asahi/errors';
import { describe, expect, it } from 'vitest';
import { defaultDeadline, priorityClassOf } from './deadline.policy';

const NOW = 1_700_000_000_000;
const H = 3_600_000;

describe('defaultDeadline', () => {
  it.each([
    { name: 'sync defaults to 30 seconds', mode: 'sync', overrides: {}, after: 30_000 },
    { name: 'async defaults to one hour', mode: 'async', overrides: {}, after: H },
    { name: 'bulk defaults to the 24 h batch window', mode: 'bulk', overrides: {}, after: 24 * H },
    {
      name: "a tenant's setting replaces the default for that mode",
      mode: 'async',
      overrides: { tenant: { async: 6 * H } },
      after: 6 * H,
    },
    {
      name: "a tenant's setting for another mode changes nothing",
      mode: 'sync',
      overrides: { tenant: { async: 6 * H } },
      after: 30_000,
    },
    {
      name: "bulk: the batch's completion window wins over the tenant's",
      mode: 'bulk',
      overrides: { tenant: { bulk: 48 * H }, completionWindowMs: 12 * H },
      after: 12 * H,
    },
    {
      name: 'a completion window is ignored outside bulk',
      mode: 'async',
      overrides: { completionWindowMs: 12 * H },
      after: H,
    },
  ] as const)('$name', ({ mode, overrides, after }) => {
    expect(defaultDeadline(mode, NOW, overrides) - NOW).toBe(after);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects a tenant duration of %s',
    (ms) => {
      let error: unknown;
      try {
        defaultDeadline('sync', NOW, { tenant: { sync: ms } });
      } catch (e) {
        error = e;
      }
      expect(isAppError(error) && error.code).toBe('invalid_request');
    },
  );
});

describe('priorityClassOf', () => {
  it.each([
    ['sync', 'interactive'],
    ['async', 'standard'],
    ['bulk', 'background'],
  ] as const)('%s → %s', (mode, cls) => expect(priorityClassOf(mode)).toBe(cls));
});
