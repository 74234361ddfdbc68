import { describe, expect, it } from 'vitest';
import { batchTimeline, expiresAtMs, itemsDoneAt } from './batch-timeline';

describe('batchTimeline', () => {
  it('splits the turnaround 10% validating, 80% in progress, 10% finalizing', () => {
    expect(batchTimeline(2000, 86_400_000)).toEqual({
      validatingMs: 200,
      inProgressMs: 1600,
      finalizingMs: 200,
      cancellingMs: 200,
      windowMs: 86_400_000,
    });
  });

  it('expires at created + window', () => {
    expect(expiresAtMs(1_000, batchTimeline(2000, 500))).toBe(1_500);
  });
});

describe('itemsDoneAt', () => {
  it.each([
    { elapsed: -5, phase: 1000, total: 4, done: 0 },
    { elapsed: 0, phase: 1000, total: 4, done: 0 },
    { elapsed: 249, phase: 1000, total: 4, done: 0 },
    { elapsed: 250, phase: 1000, total: 4, done: 1 },
    { elapsed: 999, phase: 1000, total: 4, done: 3 },
    { elapsed: 1000, phase: 1000, total: 4, done: 4 },
    { elapsed: 5000, phase: 1000, total: 4, done: 4 },
    { elapsed: 0, phase: 0, total: 4, done: 4 },
    { elapsed: 500, phase: 1000, total: 0, done: 0 },
  ])(
    '$elapsed ms into a $phase ms phase, $done of $total are done',
    ({ elapsed, phase, total, done }) => {
      expect(itemsDoneAt(elapsed, phase, total)).toBe(done);
    },
  );
});
