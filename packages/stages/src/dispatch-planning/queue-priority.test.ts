import { describe, expect, it } from 'vitest';
import { dispatchBand, queuePriority, slackStep } from './queue-priority';

const NOW = 1_800_000_000_000;
const S = 1_000;
const H = 3_600_000;
const at = (ms: number) => NOW + ms;

describe('slackStep', () => {
  it.each([
    [-5 * S, 0],
    [0, 0],
    [1 * S, 1],
    [3 * S, 2],
    [30 * S, 4],
    [H, 11],
    [24 * H, 16],
    [10_000 * 24 * H, 29],
  ])('slack %i ms → step %i', (slack, step) => {
    expect(slackStep(at(slack), NOW)).toBe(step);
  });
});

describe('dispatchBand', () => {
  it.each([
    ['interactive', 30 * S, 'interactive'],
    ['standard', H, 'standard'],
    ['background', 24 * H, 'background'],
    // due: latest safe start (deadline − 60 s) within the 5 min urgent window
    ['background', 6 * 60 * S, 'interactive'],
    ['standard', -S, 'interactive'],
    ['standard', 6 * 60 * S + 1, 'standard'],
  ] as const)('%s with %i ms of slack runs in %s', (priority, slack, band) => {
    expect(dispatchBand({ priority, deadlineAt: at(slack), now: NOW })).toBe(band);
  });
});

describe('queuePriority', () => {
  const base = { weight: 1, now: NOW };
  const p = (o: Partial<Parameters<typeof queuePriority>[0]>) =>
    queuePriority({ priority: 'standard', rank: 1, deadlineAt: at(H), ...base, ...o });

  it('stays inside BullMQ bounds for extreme inputs', () => {
    for (const rank of [0, 1, 1e9])
      for (const slack of [-H, 0, 1e12])
        for (const priority of ['interactive', 'standard', 'background'] as const) {
          const v = p({ rank, priority, deadlineAt: at(slack), weight: 0.01 });
          expect(v).toBeGreaterThanOrEqual(1);
          expect(v).toBeLessThanOrEqual(2 ** 21);
          expect(Number.isInteger(v)).toBe(true);
        }
  });

  it('orders bands: any sync request before any async before any bulk, whatever the rank', () => {
    const sync = p({ priority: 'interactive', rank: 1e6, deadlineAt: at(30 * S) });
    const asyncFirst = p({ priority: 'standard', rank: 1 });
    const bulkFirst = p({ priority: 'background', rank: 1, deadlineAt: at(24 * H) });
    expect(sync).toBeLessThan(asyncFirst);
    expect(asyncFirst).toBeLessThan(bulkFirst);
  });

  it("another tenant's first request goes before a flooding tenant's 50,000th", () => {
    const flood50k = p({ rank: 50_000 });
    const otherFirst = p({ rank: 1, deadlineAt: at(2 * H) });
    expect(otherFirst).toBeLessThan(flood50k);
  });

  it('weights scale the rank: weight 3 with 3 waiting ties weight 1 with 1 waiting', () => {
    expect(p({ rank: 4, weight: 3 })).toBe(p({ rank: 2, weight: 1 }));
    expect(p({ rank: 10, weight: 3 })).toBeLessThan(p({ rank: 10, weight: 1 }));
  });

  it('among equal ranks, the earlier deadline first (log scale), equal within a step', () => {
    expect(p({ deadlineAt: at(10 * 60 * S) })).toBeLessThan(p({ deadlineAt: at(H) }));
    expect(p({ deadlineAt: at(H) })).toBe(p({ deadlineAt: at(H + S) }));
  });

  it('a due bulk request jumps to the interactive band', () => {
    const dueBulk = p({ priority: 'background', rank: 1, deadlineAt: at(2 * 60 * S) });
    expect(dueBulk).toBeLessThan(p({ priority: 'standard', rank: 1 }));
  });
});
