/**
 * A circuit breaker per provider and model, as a pure state machine. The caller stores the state
 * (in Redis, shared by every worker), asks canCall before a call, and feeds each outcome back
 * through breakerTransition. See README.md, "Circuit breaker".
 */

/** Call outcomes ('timeout' counts as a failure) and 'probe': a trial call is about to start. */
export type BreakerEvent = 'success' | 'failure' | 'timeout' | 'probe';

/** Outcomes counted in one slice of the rolling window. */
export interface BreakerBucket {
  start: number;
  successes: number;
  failures: number;
}

export type BreakerState =
  | { status: 'closed'; buckets: BreakerBucket[]; consecutiveFailures: number }
  | { status: 'open'; openedAt: number; retryAt: number }
  | { status: 'half-open'; probesInFlight: number; probeLimit: number; successes: number };

export type BreakerStatus = BreakerState['status'];

export interface BreakerPolicy {
  /** Rolling window over which the failure rate is measured. Default 60 s. */
  windowMs: number;
  /** Window slice; outcomes are counted per slice so the state stays small. Default 5 s. */
  bucketMs: number;
  /** Calls in the window before the failure rate may trip the breaker. Default 20. */
  minCalls: number;
  /** Failure share (0..1] in the window that trips it. Default 0.5. */
  failureRateThreshold: number;
  /** Consecutive failures that trip it regardless of volume. Default 5. */
  consecutiveFailureThreshold: number;
  /** How long it stays open before a probe may go. Default 30 s. */
  openDurationMs: number;
  /** Trial calls allowed at once while half-open. Default 1. */
  halfOpenMaxProbes: number;
  /** Successful probes that close it again. Default 1. */
  halfOpenSuccessesToClose: number;
}

export const DEFAULT_BREAKER_POLICY: Readonly<BreakerPolicy> = {
  windowMs: 60_000,
  bucketMs: 5_000,
  minCalls: 20,
  failureRateThreshold: 0.5,
  consecutiveFailureThreshold: 5,
  openDurationMs: 30_000,
  halfOpenMaxProbes: 1,
  halfOpenSuccessesToClose: 1,
};

export const CLOSED_BREAKER: BreakerState = {
  status: 'closed',
  buckets: [],
  consecutiveFailures: 0,
};

function opened(now: number, policy: BreakerPolicy): BreakerState {
  return { status: 'open', openedAt: now, retryAt: now + policy.openDurationMs };
}

/** The window's buckets after counting one outcome at `now`, older slices dropped. */
function record(
  buckets: BreakerBucket[],
  ok: boolean,
  now: number,
  policy: BreakerPolicy,
): BreakerBucket[] {
  const start = Math.floor(now / policy.bucketMs) * policy.bucketMs;
  const kept = buckets.filter((b) => b.start > now - policy.windowMs && b.start !== start);
  const current = buckets.find((b) => b.start === start) ?? { start, successes: 0, failures: 0 };
  const updated = ok
    ? { ...current, successes: current.successes + 1 }
    : { ...current, failures: current.failures + 1 };
  return [...kept, updated].sort((a, b) => a.start - b.start);
}

function shouldTrip(buckets: BreakerBucket[], consecutive: number, policy: BreakerPolicy): boolean {
  if (consecutive >= policy.consecutiveFailureThreshold) return true;
  const failures = buckets.reduce((n, b) => n + b.failures, 0);
  const calls = buckets.reduce((n, b) => n + b.successes + b.failures, 0);
  return calls >= policy.minCalls && failures / calls >= policy.failureRateThreshold;
}

function fromClosed(
  state: Extract<BreakerState, { status: 'closed' }>,
  event: BreakerEvent,
  now: number,
  policy: BreakerPolicy,
): BreakerState {
  if (event === 'probe') return state;
  const ok = event === 'success';
  const buckets = record(state.buckets, ok, now, policy);
  const consecutiveFailures = ok ? 0 : state.consecutiveFailures + 1;
  if (!ok && shouldTrip(buckets, consecutiveFailures, policy)) return opened(now, policy);
  return { status: 'closed', buckets, consecutiveFailures };
}

function fromHalfOpen(
  state: Extract<BreakerState, { status: 'half-open' }>,
  event: BreakerEvent,
  now: number,
  policy: BreakerPolicy,
): BreakerState {
  if (event === 'probe') {
    return state.probesInFlight < state.probeLimit
      ? { ...state, probesInFlight: state.probesInFlight + 1 }
      : state;
  }
  if (event !== 'success') return opened(now, policy);
  const successes = state.successes + 1;
  if (successes >= policy.halfOpenSuccessesToClose) return CLOSED_BREAKER;
  return { ...state, successes, probesInFlight: Math.max(0, state.probesInFlight - 1) };
}

/** The breaker's next state after `event` at `now`. */
export function breakerTransition(
  state: BreakerState,
  event: BreakerEvent,
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): BreakerState {
  switch (state.status) {
    case 'closed':
      return fromClosed(state, event, now, policy);
    case 'half-open':
      return fromHalfOpen(state, event, now, policy);
    case 'open':
      // Outcomes of calls started before it opened change nothing; after openDurationMs the
      // first probe moves it to half-open.
      if (event !== 'probe' || now < state.retryAt) return state;
      return {
        status: 'half-open',
        probesInFlight: 1,
        probeLimit: policy.halfOpenMaxProbes,
        successes: 0,
      };
  }
}

/**
 * Whether a call may start now. When the breaker is open past its retryAt, or half-open with a
 * free probe slot, the call is a probe: record 'probe' before making it.
 */
export function canCall(state: BreakerState, now: number): boolean {
  switch (state.status) {
    case 'closed':
      return true;
    case 'open':
      return now >= state.retryAt;
    case 'half-open':
      return state.probesInFlight < state.probeLimit;
  }
}

/** Gauge value for metrics and the ops endpoint: 0 closed, 1 half-open, 2 open. */
export function breakerGauge(state: BreakerState): 0 | 1 | 2 {
  return state.status === 'closed' ? 0 : state.status === 'half-open' ? 1 : 2;
}

/**
 * The breaker event an error code counts as: provider faults count against the breaker, a client
 * error (400) says the provider is fine, and throttling is not ill health (null: not counted).
 */
export function breakerEventOf(code: string): 'failure' | 'timeout' | 'success' | null {
  if (code === 'provider_timeout') return 'timeout';
  if (['provider_error', 'provider_bad_response', 'unavailable', 'internal'].includes(code))
    return 'failure';
  if (code === 'provider_rate_limited') return null;
  return 'success';
}
