import { describe, expect, it } from 'vitest';
import { computeBackoffMs } from './backoff';

describe('computeBackoffMs (exponential, full jitter, honours retry-after)', () => {
  it.each([
    // attemptsMade, base, random, retryAfter, expected
    [1, 100, 0.999, undefined, 99],
    [2, 100, 0.5, undefined, 100],
    [3, 100, 0.5, undefined, 200],
    [1, 100, 0, undefined, 0],
    [1, 100, 0, 1500, 1500],
    [10, 1000, 0.999, undefined, 59_940],
  ])(
    'attempt %i base %i random %f retryAfter %s → %i',
    (attempts, base, r, retryAfterMs, expected) => {
      expect(computeBackoffMs(attempts, base, { random: () => r, retryAfterMs })).toBe(expected);
    },
  );
});
