import { describe, expect, it } from 'vitest';
import { withinBudget } from './budget';

const never = () => new Promise<never>(() => undefined);

describe('withinBudget', () => {
  it.each([
    ['work that answers in time → ok with its value', async () => 42, { kind: 'ok', value: 42 }],
    [
      'work that fails in time → error with the cause',
      async () => Promise.reject(new Error('redis down')),
      { kind: 'error', error: new Error('redis down') },
    ],
    ['work that never answers → timeout', never, { kind: 'timeout' }],
  ])('%s', async (_case, work, want) => {
    expect(await withinBudget(work, 5)).toEqual(want);
  });
});
