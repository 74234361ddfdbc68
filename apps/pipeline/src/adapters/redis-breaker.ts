import type { Redis } from '@asahi/queue';
import {
  breakerTransition,
  canCall,
  CLOSED_BREAKER,
  DEFAULT_BREAKER_POLICY,
  type BreakerEvent,
  type BreakerPolicy,
  type BreakerState,
} from '@asahi/stages';

/**
 * Circuit breakers per provider and model, shared by every dispatch worker through Redis. The
 * state machine is the pure `breakerTransition`; this adapter only stores its state and applies
 * transitions with compare-and-set, so concurrent workers never lose one another's events.
 */
export interface BreakerView {
  provider: string;
  model: string;
  state: BreakerState;
}

export interface RedisBreakers {
  /**
   * Whether a call to provider/model may start now. When the breaker is open and its retry time
   * has come, this call becomes the probe (recorded atomically, so only `halfOpenMaxProbes` win).
   */
  acquire(provider: string, model: string, now?: number): Promise<{ ok: boolean; retryAt: number }>;
  record(
    provider: string,
    model: string,
    event: Exclude<BreakerEvent, 'probe'>,
    now?: number,
  ): Promise<BreakerState>;
  get(provider: string, model: string): Promise<BreakerState>;
  list(): Promise<BreakerView[]>;
}

// Compare-and-set: writes ARGV[2] only if the stored value is still ARGV[1] ('' = absent).
const CAS = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1
`;
const TTL_MS = 24 * 3_600_000;
const MAX_TRIES = 20;

interface Stored {
  state: BreakerState;
  /** When the state last changed (a half-open breaker whose probe never reports is re-opened). */
  since: number;
}

export function createRedisBreakers(
  redis: Redis,
  options: { prefix: string; policy?: BreakerPolicy; onChange?: (view: BreakerView) => void },
): RedisBreakers {
  const policy = options.policy ?? DEFAULT_BREAKER_POLICY;
  const index = `${options.prefix}:breakers`;
  const keyOf = (id: string) => `${options.prefix}:breaker:{${id}}`;
  const idOf = (provider: string, model: string) => `${provider}\u0000${model}`;

  const read = async (id: string, now: number): Promise<{ raw: string; stored: Stored }> => {
    const raw = (await redis.get(keyOf(id))) ?? '';
    const stored: Stored = raw ? (JSON.parse(raw) as Stored) : { state: CLOSED_BREAKER, since: 0 };
    // A probe whose worker died never reports: after another open period, allow a new probe.
    if (stored.state.status === 'half-open' && now - stored.since > policy.openDurationMs)
      return {
        raw,
        stored: { state: { status: 'open', openedAt: now, retryAt: now }, since: now },
      };
    return { raw, stored };
  };

  /** Applies `step` to the current state until the compare-and-set wins. */
  const update = async (
    provider: string,
    model: string,
    now: number,
    step: (state: BreakerState) => BreakerState | null,
  ): Promise<{ before: BreakerState; after: BreakerState }> => {
    const id = idOf(provider, model);
    for (let i = 0; i < MAX_TRIES; i++) {
      const { raw, stored } = await read(id, now);
      const next = step(stored.state);
      if (next === null) return { before: stored.state, after: stored.state };
      const since = next.status === stored.state.status ? stored.since : now;
      const value = JSON.stringify({ state: next, since } satisfies Stored);
      if (value === raw) return { before: stored.state, after: next };
      const won = (await redis.eval(CAS, 2, keyOf(id), index, raw, value, TTL_MS, id)) === 1;
      if (won) {
        if (next.status !== stored.state.status)
          options.onChange?.({ provider, model, state: next });
        return { before: stored.state, after: next };
      }
    }
    throw new Error(`circuit breaker ${provider}/${model}: too much contention`);
  };

  const retryAtOf = (state: BreakerState, now: number) =>
    state.status === 'open' ? state.retryAt : now + 1_000;

  return {
    async acquire(provider, model, now = Date.now()) {
      let allowed = false;
      const { after } = await update(provider, model, now, (state) => {
        allowed = canCall(state, now);
        if (!allowed || state.status === 'closed') return null;
        return breakerTransition(state, 'probe', now, policy);
      });
      return { ok: allowed, retryAt: allowed ? now : retryAtOf(after, now) };
    },
    async record(provider, model, event, now = Date.now()) {
      const { after } = await update(provider, model, now, (state) =>
        breakerTransition(state, event, now, policy),
      );
      return after;
    },
    async get(provider, model) {
      return (await read(idOf(provider, model), Date.now())).stored.state;
    },
    async list() {
      const ids = await redis.smembers(index);
      const now = Date.now();
      const views = await Promise.all(
        ids.map(async (id) => {
          const [provider = '', model = ''] = id.split('\u0000');
          return { provider, model, state: (await read(id, now)).stored.state };
        }),
      );
      return views.sort((a, b) =>
        `${a.provider}/${a.model}`.localeCompare(`${b.provider}/${b.model}`),
      );
    },
  };
}
