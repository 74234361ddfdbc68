import { describe, expect, it } from 'vitest';
import { formatResetDuration, SlidingWindowRateLimiter, type RateLimits } from './rate-limiter';

type Step = {
  at: number;
  tokens?: number;
  key?: string;
  allowed: boolean;
  reason?: string | null;
  retryAfterMs?: number;
  remainingRequests?: number;
  remainingTokens?: number;
};

function run(limits: RateLimits, steps: Step[]) {
  let now = 0;
  const limiter = new SlidingWindowRateLimiter(limits, () => now);
  steps.forEach((step, i) => {
    now = step.at;
    const d = limiter.acquire(step.key ?? 'gpt-4o-mini', step.tokens ?? 1);
    const expected: Partial<typeof d> = { allowed: step.allowed };
    if (step.reason !== undefined) expected.reason = step.reason as typeof d.reason;
    if (step.retryAfterMs !== undefined) expected.retryAfterMs = step.retryAfterMs;
    if (step.remainingRequests !== undefined) expected.remainingRequests = step.remainingRequests;
    if (step.remainingTokens !== undefined) expected.remainingTokens = step.remainingTokens;
    expect(d, `step ${i} at ${step.at}`).toMatchObject(expected);
  });
}

describe('SlidingWindowRateLimiter', () => {
  it.each<[string, RateLimits, Step[]]>([
    [
      'unlimited admits everything',
      { rpm: 0, tpm: 0 },
      Array.from({ length: 50 }, () => ({ at: 0, tokens: 1e6, allowed: true })),
    ],
    [
      'RPM 2: third request waits for the oldest to leave the window',
      { rpm: 2, tpm: 0 },
      [
        { at: 0, allowed: true, remainingRequests: 1 },
        { at: 10_000, allowed: true, remainingRequests: 0 },
        { at: 20_000, allowed: false, reason: 'requests', retryAfterMs: 40_000 },
        { at: 59_999, allowed: false, retryAfterMs: 1 },
        { at: 60_000, allowed: true, remainingRequests: 0 },
        { at: 70_000, allowed: true },
      ],
    ],
    [
      'refused requests are not recorded',
      { rpm: 1, tpm: 0 },
      [
        { at: 0, allowed: true },
        { at: 1_000, allowed: false },
        { at: 2_000, allowed: false },
        { at: 60_000, allowed: true },
      ],
    ],
    [
      'TPM: waits until enough old tokens expire',
      { rpm: 0, tpm: 100 },
      [
        { at: 0, tokens: 40, allowed: true, remainingTokens: 60 },
        { at: 5_000, tokens: 40, allowed: true, remainingTokens: 20 },
        { at: 6_000, tokens: 50, allowed: false, reason: 'tokens', retryAfterMs: 54_000 },
        { at: 6_000, tokens: 20, allowed: true, remainingTokens: 0 },
        { at: 60_000, tokens: 40, allowed: true },
      ],
    ],
    [
      'a request larger than the TPM is refused outright',
      { rpm: 0, tpm: 100 },
      [{ at: 0, tokens: 101, allowed: false, reason: 'request_too_large', retryAfterMs: 60_000 }],
    ],
    [
      'limits are per key (model)',
      { rpm: 1, tpm: 0 },
      [
        { at: 0, key: 'a', allowed: true },
        { at: 0, key: 'b', allowed: true },
        { at: 1, key: 'a', allowed: false },
      ],
    ],
    [
      'both limits: the longer wait wins',
      { rpm: 2, tpm: 100 },
      [
        { at: 0, tokens: 90, allowed: true },
        { at: 30_000, tokens: 5, allowed: true },
        { at: 31_000, tokens: 5, allowed: false, reason: 'requests', retryAfterMs: 29_000 },
      ],
    ],
  ])('%s', (_name, limits, steps) => run(limits, steps));

  it('reports the time until the window is empty as reset', () => {
    let now = 0;
    const limiter = new SlidingWindowRateLimiter({ rpm: 10, tpm: 1000 }, () => now);
    limiter.acquire('m', 10);
    now = 15_000;
    const d = limiter.acquire('m', 10);
    expect(d).toMatchObject({
      resetRequestsMs: 60_000,
      resetTokensMs: 60_000,
      remainingRequests: 8,
      remainingTokens: 980,
    });
  });
});

describe('formatResetDuration', () => {
  it.each([
    [0, '0ms'],
    [120, '120ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [59_999, '59.999s'],
    [360_000, '6m0s'],
    [61_250, '1m1.25s'],
  ])('%i ms → %s', (ms, text) => expect(formatResetDuration(ms)).toBe(text));
});
