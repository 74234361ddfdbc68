export { accountCacheHit, accountCost, NO_SAVINGS } from './savings';
export type { CostBreakdown, CostInput } from './savings';
