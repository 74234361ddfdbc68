import { AppError } from '@asahi/errors';
import type { PriorityClass } from './deadline.policy';

/** One request in the dispatch queue, as the fair ordering sees it. Times are epoch ms. */
export interface QueuedItem {
  id: string;
  tenantId: string;
  deadlineAt: number;
  priority: PriorityClass;
  estimatedTokens: number;
}

/**
 * One tier's start-time fair queuing clock: per tenant, the virtual time its service so far has
 * reached (service ÷ weight), and the system virtual time (start tag of the last item dispatched).
 */
export interface FairClock {
  system: number;
  tenants: Record<string, number>;
}

/**
 * Kept by the dispatcher between rounds (e.g. in Redis); one clock per tier, so a tenant's bulk
 * volume never costs it share of the sync tier. Start from EMPTY_FAIR_SHARE.
 */
export type FairShareState = Readonly<Record<PriorityClass, FairClock>>;

const EMPTY_CLOCK: FairClock = { system: 0, tenants: {} };
export const EMPTY_FAIR_SHARE: FairShareState = {
  interactive: EMPTY_CLOCK,
  standard: EMPTY_CLOCK,
  background: EMPTY_CLOCK,
};

export interface FairOrderPolicy {
  /** Items whose latest safe start (deadline − realtimeAllowanceMs) falls within this window join the sync tier. Default 60 s. */
  urgentWindowMs: number;
  /** Same meaning as in BatchPolicy. Default 60 s. */
  realtimeAllowanceMs: number;
  /** What a tenant's share measures: dispatched requests, or estimated tokens. Default requests. */
  cost: 'requests' | 'tokens';
}

export const DEFAULT_FAIR_ORDER_POLICY: Readonly<FairOrderPolicy> = {
  urgentWindowMs: 60_000,
  realtimeAllowanceMs: 60_000,
  cost: 'requests',
};

const TIER_RANK: Readonly<Record<PriorityClass, number>> = {
  interactive: 0,
  standard: 1,
  background: 2,
};

function weightOf(weights: Record<string, number>, tenantId: string): number {
  const w = weights[tenantId] ?? 1;
  if (!Number.isFinite(w) || w <= 0) {
    throw new AppError('invalid_request', `tenant weight must be a positive number`, {
      details: { tenantId, weight: w },
    });
  }
  return w;
}

function costOf(item: QueuedItem, policy: FairOrderPolicy): number {
  return policy.cost === 'tokens' ? Math.max(1, item.estimatedTokens) : 1;
}

/** A tenant's next start tag: where its service stands, never behind the system clock. */
function startTag(clock: FairClock, tenantId: string): number {
  return Math.max(clock.tenants[tenantId] ?? 0, clock.system);
}

function compareEdf(a: QueuedItem, b: QueuedItem): number {
  if (a.deadlineAt !== b.deadlineAt) return a.deadlineAt - b.deadlineAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Sync traffic, and anything about to miss its deadline, shares the first tier. */
export function dispatchTierOf(
  item: QueuedItem,
  now: number,
  policy: FairOrderPolicy,
): PriorityClass {
  const urgent = item.deadlineAt - policy.realtimeAllowanceMs <= now + policy.urgentWindowMs;
  return urgent ? 'interactive' : item.priority;
}

interface Tagged {
  item: QueuedItem;
  tier: PriorityClass;
  tag: number;
}

/**
 * The order to dispatch the queue in (see README.md, "Fair ordering"):
 *  1. tier: interactive or urgent items, then standard, then background;
 *  2. inside a tier, start-time fair queuing across tenants: each tenant's items, taken in
 *     EDF order, get start tags advancing by cost ÷ weight from the tenant's virtual time;
 *     the smallest tag goes first, so tenants interleave in proportion to their weights;
 *  3. ties: earliest deadline, then tenant id, then item id.
 * Pure: the caller charges what it actually dispatched with chargeService.
 */
export function orderForDispatch(
  queue: QueuedItem[],
  weights: Record<string, number>,
  state: FairShareState,
  now: number,
  policy: FairOrderPolicy = DEFAULT_FAIR_ORDER_POLICY,
): QueuedItem[] {
  const next = new Map<string, number>(); // per tenant and tier: the next start tag
  const tagged: Tagged[] = [];
  for (const item of [...queue].sort(compareEdf)) {
    const tier = dispatchTierOf(item, now, policy);
    const key = `${tier}\u0000${item.tenantId}`;
    const tag = next.get(key) ?? startTag(state[tier], item.tenantId);
    next.set(key, tag + costOf(item, policy) / weightOf(weights, item.tenantId));
    tagged.push({ item, tier, tag });
  }
  tagged.sort(
    (a, b) =>
      TIER_RANK[a.tier] - TIER_RANK[b.tier] ||
      a.tag - b.tag ||
      compareEdf(a.item, b.item) ||
      (a.item.tenantId < b.item.tenantId ? -1 : a.item.tenantId > b.item.tenantId ? 1 : 0),
  );
  return tagged.map((t) => t.item);
}

/**
 * The state after dispatching `items` (in the order given, at `now`): in each item's tier, its
 * tenant's clock moves by cost ÷ weight and the system clock to the item's start tag.
 */
export function chargeService(
  state: FairShareState,
  items: QueuedItem[],
  weights: Record<string, number>,
  now: number,
  policy: FairOrderPolicy = DEFAULT_FAIR_ORDER_POLICY,
): FairShareState {
  const next: Record<PriorityClass, FairClock> = { ...state };
  for (const item of items) {
    const tier = dispatchTierOf(item, now, policy);
    const clock = next[tier];
    const start = startTag(clock, item.tenantId);
    next[tier] = {
      system: Math.max(clock.system, start),
      tenants: {
        ...clock.tenants,
        [item.tenantId]: start + costOf(item, policy) / weightOf(weights, item.tenantId),
      },
    };
  }
  return next;
}
