import { describe, expect, it } from 'vitest';
import {
  breakerEventOf,
  breakerGauge,
  breakerTransition,
  canCall,
  CLOSED_BREAKER,
  type BreakerEvent,
  type BreakerPolicy,
  type BreakerState,
} from './circuit-breaker.machine';

const P: BreakerPolicy = {
  windowMs: 1_000,
  bucketMs: 100,
  minCalls: 4,
  failureRateThreshold: 0.5,
  consecutiveFailureThreshold: 3,
  openDurationMs: 500,
  halfOpenMaxProbes: 1,
  halfOpenSuccessesToClose: 2,
};

/** Feeds events ([event, at]) from a start state. */
function run(events: [BreakerEvent, number][], from: BreakerState = CLOSED_BREAKER, policy = P) {
  return events.reduce((s, [e, at]) => breakerTransition(s, e, at, policy), from);
}
const at0 = (...events: BreakerEvent[]): [BreakerEvent, number][] => events.map((e) => [e, 0]);

const OPEN: BreakerState = { status: 'open', openedAt: 0, retryAt: 500 };
const HALF: BreakerState = { status: 'half-open', probesInFlight: 1, probeLimit: 1, successes: 0 };

describe('breakerTransition', () => {
  it.each<{
    name: string;
    from?: BreakerState;
    events: [BreakerEvent, number][];
    to: Partial<BreakerState>;
  }>([
    // closed
    {
      name: 'closed: a success keeps it closed',
      events: at0('success'),
      to: { status: 'closed', consecutiveFailures: 0 },
    },
    {
      name: 'closed: failures below the streak threshold keep it closed',
      events: at0('failure', 'failure'),
      to: { status: 'closed', consecutiveFailures: 2 },
    },
    {
      name: 'closed: a success resets the failure streak',
      events: at0('failure', 'failure', 'success'),
      to: { status: 'closed', consecutiveFailures: 0 },
    },
    {
      name: 'closed → open: consecutive failures reach the threshold',
      events: [
        ['failure', 10],
        ['failure', 20],
        ['failure', 30],
      ],
      to: { status: 'open', openedAt: 30, retryAt: 530 },
    },
    {
      name: 'closed → open: timeouts count as failures',
      events: at0('timeout', 'timeout', 'timeout'),
      to: { status: 'open' },
    },
    {
      name: 'closed → open: failure rate reaches the threshold at minCalls (2 of 4)',
      events: at0('success', 'success', 'failure', 'failure'),
      to: { status: 'open' },
    },
    {
      name: 'closed: failure rate below the threshold (2 of 5)',
      events: at0('success', 'success', 'success', 'failure', 'failure'),
      to: { status: 'closed' },
    },
    {
      name: 'closed: a high rate under minCalls does not trip (2 of 3)',
      events: at0('failure', 'failure', 'success'),
      to: { status: 'closed' },
    },
    { name: 'closed: a probe event changes nothing', events: at0('probe'), to: CLOSED_BREAKER },
    {
      name: 'closed → open: outcomes still inside the window count (999 ms later)',
      events: [
        ['failure', 0],
        ['failure', 0],
        ['success', 0],
        ['failure', 999],
        ['failure', 999],
      ],
      to: { status: 'open' },
    },
    {
      name: 'closed: outcomes one full window old have left it (1,000 ms later)',
      events: [
        ['failure', 0],
        ['failure', 0],
        ['success', 0],
        ['failure', 1_000],
        ['failure', 1_000],
      ],
      to: { status: 'closed', consecutiveFailures: 2 },
    },
    // open
    {
      name: 'open: late outcomes of earlier calls change nothing',
      from: OPEN,
      events: [
        ['success', 100],
        ['failure', 200],
        ['timeout', 300],
      ],
      to: OPEN,
    },
    {
      name: 'open: a probe before retryAt is refused',
      from: OPEN,
      events: [['probe', 499]],
      to: OPEN,
    },
    {
      name: 'open → half-open: a probe exactly at retryAt',
      from: OPEN,
      events: [['probe', 500]],
      to: { status: 'half-open', probesInFlight: 1, probeLimit: 1, successes: 0 },
    },
    // half-open
    {
      name: 'half-open: a probe beyond the probe limit is refused',
      from: HALF,
      events: [['probe', 600]],
      to: HALF,
    },
    {
      name: 'half-open: a second probe fits under a limit of 2',
      from: { ...HALF, probeLimit: 2 },
      events: [['probe', 600]],
      to: { probesInFlight: 2 },
    },
    {
      name: 'half-open: one success of the two needed frees the probe slot',
      from: HALF,
      events: [['success', 600]],
      to: { status: 'half-open', successes: 1, probesInFlight: 0 },
    },
    {
      name: 'half-open → closed: enough successful probes',
      from: HALF,
      events: [
        ['success', 600],
        ['probe', 610],
        ['success', 620],
      ],
      to: CLOSED_BREAKER,
    },
    {
      name: 'half-open → open: a failed probe reopens from now',
      from: HALF,
      events: [['failure', 700]],
      to: { status: 'open', openedAt: 700, retryAt: 1_200 },
    },
    {
      name: 'half-open → open: a timed-out probe too',
      from: HALF,
      events: [['timeout', 800]],
      to: { status: 'open', openedAt: 800 },
    },
  ])('$name', ({ from, events, to }) => {
    expect(run(events, from)).toMatchObject(to);
  });

  it('a full cycle: trips, waits, probes, closes with a fresh window', () => {
    const tripped = run(at0('failure', 'failure', 'failure'));
    expect(canCall(tripped, 499)).toBe(false);
    expect(canCall(tripped, 500)).toBe(true);
    const probing = breakerTransition(tripped, 'probe', 500, P);
    expect(canCall(probing, 500)).toBe(false);
    const closed = run(
      [
        ['success', 510],
        ['probe', 520],
        ['success', 530],
      ],
      probing,
    );
    expect(closed).toEqual(CLOSED_BREAKER);
    // The failures from before the trip are forgotten: two more do not reopen it.
    expect(
      run(
        [
          ['failure', 540],
          ['failure', 550],
        ],
        closed,
      ).status,
    ).toBe('closed');
  });
});

describe('canCall', () => {
  it.each<[string, BreakerState, number, boolean]>([
    ['closed', CLOSED_BREAKER, 0, true],
    ['open, before retryAt', OPEN, 499, false],
    ['open, at retryAt (the call is a probe)', OPEN, 500, true],
    ['half-open, probe slot taken', HALF, 600, false],
    ['half-open, probe slot free', { ...HALF, probesInFlight: 0 }, 600, true],
  ])('%s → %s', (_name, state, now, allowed) => {
    expect(canCall(state, now)).toBe(allowed);
  });
});

describe('breakerGauge', () => {
  it.each<[BreakerState, number]>([
    [CLOSED_BREAKER, 0],
    [HALF, 1],
    [OPEN, 2],
  ])('%o → %i', (state, value) => expect(breakerGauge(state)).toBe(value));
});

describe('breakerEventOf: which errors count against a breaker', () => {
  it.each([
    ['provider_timeout', 'timeout'],
    ['provider_error', 'failure'],
    ['provider_bad_response', 'failure'],
    ['unavailable', 'failure'],
    ['internal', 'failure'],
    ['provider_rate_limited', null],
    ['invalid_request', 'success'],
    ['unknown_model', 'success'],
  ] as const)('%s → %s', (code, event) => {
    expect(breakerEventOf(code)).toBe(event);
  });
});
