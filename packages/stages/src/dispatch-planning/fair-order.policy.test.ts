import { isAppError } from '@asahi/errors';
import { describe, expect, it } from 'vitest';
import type { PriorityClass } from './deadline.policy';
import {
  chargeService,
  EMPTY_FAIR_SHARE,
  orderForDispatch,
  type FairShareState,
  type QueuedItem,
} from './fair-order.policy';

const NOW = 1_000_000_000;
const H = 3_600_000;

function q(
  id: string,
  tenantId: string,
  priority: PriorityClass,
  deadlineIn = 10 * H,
  tokens = 100,
): QueuedItem {
  return { id, tenantId, priority, deadlineAt: NOW + deadlineIn, estimatedTokens: tokens };
}
const bulk = (tenant: string, n: number, deadlineIn = 20 * H) =>
  Array.from({ length: n }, (_, i) =>
    q(`${tenant}-bulk-${i}`, tenant, 'background', deadlineIn + i),
  );
const ids = (items: QueuedItem[]) => items.map((i) => i.id);
const tenants = (items: QueuedItem[]) => items.map((i) => i.tenantId).join('');

describe('orderForDispatch', () => {
  it.each([
    {
      name: 'sync before async before bulk, whatever the deadlines',
      queue: [
        q('bulk', 'a', 'background', 2 * H),
        q('async', 'a', 'standard', 5 * H),
        q('sync', 'a', 'interactive', 30_000),
      ],
      order: ['sync', 'async', 'bulk'],
    },
    {
      name: 'earliest deadline first inside one tenant and tier',
      queue: [q('late', 'a', 'standard', 5 * H), q('soon', 'a', 'standard', 2 * H)],
      order: ['soon', 'late'],
    },
    {
      name: 'a bulk item about to miss its deadline joins the sync tier (EDF there)',
      queue: [
        q('sync', 'b', 'interactive', 30_000),
        q('bulk-due', 'a', 'background', 90_000),
        q('async', 'b', 'standard', H),
      ],
      order: ['sync', 'bulk-due', 'async'],
    },
    {
      name: 'equal weights interleave tenants of one tier',
      queue: [
        q('a1', 'a', 'standard', 1),
        q('a2', 'a', 'standard', 2),
        q('a3', 'a', 'standard', 3),
        q('b1', 'b', 'standard', 4),
      ],
      order: ['a1', 'b1', 'a2', 'a3'],
    },
  ])('$name', ({ queue, order }) => {
    expect(ids(orderForDispatch(queue, {}, EMPTY_FAIR_SHARE, NOW))).toEqual(order);
  });

  it("one tenant's 50,000-line upload does not delay another tenant's sync traffic", () => {
    const queue = [
      ...bulk('a', 50_000),
      q('b-sync-1', 'b', 'interactive', 30_000),
      q('b-sync-2', 'b', 'interactive', 20_000),
    ];
    expect(ids(orderForDispatch(queue, {}, EMPTY_FAIR_SHARE, NOW).slice(0, 2))).toEqual([
      'b-sync-2',
      'b-sync-1',
    ]);
  });

  it("50,000 of one tenant's items falling due still leave another tenant's sync its fair share", () => {
    const queue = [
      ...bulk('a', 50_000, 0),
      ...Array.from({ length: 5 }, (_, i) => q(`b${i}`, 'b', 'interactive', 30_000)),
    ];
    // Both tenants are in the first tier; equal weights alternate them.
    expect(tenants(orderForDispatch(queue, {}, EMPTY_FAIR_SHARE, NOW).slice(0, 10))).toBe(
      'ababababab',
    );
  });

  it("a 50,000-item async backlog of one tenant does not starve another tenant's async items", () => {
    const queue = [
      ...Array.from({ length: 50_000 }, (_, i) => q(`a${i}`, 'a', 'standard', H + i)),
      ...Array.from({ length: 10 }, (_, i) => q(`b${i}`, 'b', 'standard', 9 * H + i)),
    ];
    const first20 = orderForDispatch(queue, {}, EMPTY_FAIR_SHARE, NOW).slice(0, 20);
    expect(first20.filter((i) => i.tenantId === 'b')).toHaveLength(10);
  });

  it.each([
    { weights: { a: 3, b: 1 }, a: 30, b: 10 },
    { weights: { a: 1, b: 1 }, a: 20, b: 20 },
    { weights: { a: 1, b: 4 }, a: 8, b: 32 },
  ])('weights $weights share the first 40 dispatches as $a:$b', ({ weights, a, b }) => {
    const queue = [...bulk('a', 100), ...bulk('b', 100)];
    const first = orderForDispatch(queue, weights, EMPTY_FAIR_SHARE, NOW).slice(0, 40);
    expect([
      first.filter((i) => i.tenantId === 'a').length,
      first.filter((i) => i.tenantId === 'b').length,
    ]).toEqual([a, b]);
  });

  it('a tenant 3 dispatches ahead on the clock waits 3 turns for the others to catch up', () => {
    const state: FairShareState = {
      ...EMPTY_FAIR_SHARE,
      background: { system: 0, tenants: { a: 3 } },
    };
    const order = orderForDispatch([...bulk('a', 3), ...bulk('b', 6)], {}, state, NOW);
    expect(tenants(order)).toBe('bbbababab');
  });

  it('chargeService moves the tenant clock by cost ÷ weight and the system clock to the last start', () => {
    const state = chargeService(
      EMPTY_FAIR_SHARE,
      [...bulk('a', 4), q('s', 'b', 'interactive', 30_000)],
      { a: 2 },
      NOW,
    );
    expect(state.background).toEqual({ system: 1.5, tenants: { a: 2 } });
    expect(state.interactive).toEqual({ system: 0, tenants: { b: 1 } });
    expect(state.standard).toEqual(EMPTY_FAIR_SHARE.standard);
  });

  it('an idle tenant banks no credit: it rejoins at the system clock', () => {
    // b was served long ago; a has since been served 100 items and is still backlogged.
    let state: FairShareState = chargeService(EMPTY_FAIR_SHARE, bulk('b', 1), {}, NOW);
    state = chargeService(state, bulk('a', 100), {}, NOW);
    const order = orderForDispatch([...bulk('a', 3), ...bulk('b', 3)], {}, state, NOW);
    expect(tenants(order)).toBe('bababa');
  });

  it('bulk volume does not cost a tenant its share of the sync tier', () => {
    const state = chargeService(EMPTY_FAIR_SHARE, bulk('a', 1_000), {}, NOW);
    const queue = [
      q('a-sync', 'a', 'interactive', 30_000),
      q('b-sync', 'b', 'interactive', 31_000),
    ];
    expect(ids(orderForDispatch(queue, {}, state, NOW))).toEqual(['a-sync', 'b-sync']);
  });

  it("with cost 'tokens', a tenant of large requests gets fewer dispatches", () => {
    const queue = [
      ...Array.from({ length: 10 }, (_, i) => q(`big${i}`, 'a', 'standard', H + i, 1_000)),
      ...Array.from({ length: 10 }, (_, i) => q(`small${i}`, 'b', 'standard', H + i, 250)),
    ];
    const policy = { urgentWindowMs: 60_000, realtimeAllowanceMs: 60_000, cost: 'tokens' as const };
    const first = orderForDispatch(queue, {}, EMPTY_FAIR_SHARE, NOW, policy).slice(0, 5);
    expect(tenants(first)).toBe('abbbb');
  });

  it('simulation: a steady sync trickle is always dispatched next despite a bulk flood', () => {
    let state: FairShareState = EMPTY_FAIR_SHARE;
    let queue = bulk('a', 2_000);
    const waits: number[] = [];
    for (let step = 0; step < 500; step++) {
      if (step % 10 === 0) queue.push(q(`b-sync-${step}`, 'b', 'interactive', 30_000));
      const [next] = orderForDispatch(queue, {}, state, NOW + step);
      if (next!.tenantId === 'b') waits.push(step % 10);
      state = chargeService(state, [next!], {}, NOW + step);
      queue = queue.filter((i) => i !== next);
    }
    expect(waits).toEqual(Array.from({ length: 50 }, () => 0));
  });

  it.each([0, -1, Number.NaN])('rejects a tenant weight of %s', (w) => {
    let error: unknown;
    try {
      orderForDispatch([q('x', 'a', 'standard')], { a: w }, EMPTY_FAIR_SHARE, NOW);
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.code).toBe('invalid_request');
  });

  it('is deterministic whatever the queue order', () => {
    const queue = [...bulk('a', 20), ...bulk('b', 20), q('s', 'c', 'interactive', 30_000)];
    expect(ids(orderForDispatch([...queue].reverse(), { a: 2 }, EMPTY_FAIR_SHARE, NOW))).toEqual(
      ids(orderForDispatch(queue, { a: 2 }, EMPTY_FAIR_SHARE, NOW)),
    );
  });
});
