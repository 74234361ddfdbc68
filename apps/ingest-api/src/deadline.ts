import type { RequestMode, TenantPolicy } from '@asahi/contracts';
import { MAX_DEADLINE_S, type JobBody } from './job-request';
import { invalid, type Outcome } from './outcome';

/**
 * Deadlines, kept pure: a request's own deadline wins, else its tenant's default for the mode
 * (`tenants.settings.policy.deadlines`), else the platform's. The caller resolves the defaults
 * (tenant policy + config) and passes them in, so no I/O happens here.
 */

/** Default deadline per mode, in seconds after acceptance. */
export interface DeadlineDefaults {
  syncS: number;
  asyncS: number;
  bulkS: number;
}

/** Shortest completion window of a bulk upload (the tenant policy's own lower bound). */
export const MIN_COMPLETION_WINDOW_S = 60;

/** The tenant's per-mode defaults where it set them, the platform's elsewhere. */
export function deadlineDefaultsFor(
  policy: Pick<TenantPolicy, 'deadlines'> | null | undefined,
  platform: DeadlineDefaults,
): DeadlineDefaults {
  const own = policy?.deadlines;
  return {
    syncS: own?.syncSeconds ?? platform.syncS,
    asyncS: own?.asyncSeconds ?? platform.asyncS,
    bulkS: own?.bulkSeconds ?? platform.bulkS,
  };
}

function defaultFor(mode: RequestMode, defaults: DeadlineDefaults): number {
  if (mode === 'sync') return defaults.syncS;
  if (mode === 'async') return defaults.asyncS;
  return defaults.bulkS;
}

/** `deadline_at` (absolute) or `deadline_seconds` (relative to acceptance), else the mode's default. */
export function resolveDeadline(
  body: Pick<JobBody, 'deadline_seconds' | 'deadline_at'>,
  mode: RequestMode,
  now: Date,
  defaults: DeadlineDefaults,
): Outcome<Date> {
  if (body.deadline_at !== undefined && body.deadline_seconds !== undefined) {
    return invalid([
      { path: 'deadline_at', message: 'give either deadline_at or deadline_seconds, not both' },
    ]);
  }
  if (body.deadline_at !== undefined) {
    const at = new Date(body.deadline_at);
    if (at.getTime() <= now.getTime())
      return invalid([{ path: 'deadline_at', message: 'must be in the future' }]);
    if (at.getTime() - now.getTime() > MAX_DEADLINE_S * 1000) {
      return invalid([
        { path: 'deadline_at', message: `must be at most ${MAX_DEADLINE_S} seconds from now` },
      ]);
    }
    return { ok: true, value: at };
  }
  const seconds = body.deadline_seconds ?? defaultFor(mode, defaults);
  return { ok: true, value: new Date(now.getTime() + seconds * 1000) };
}

const WINDOW = /^(\d{1,7})([smhd])$/;
const UNIT_S = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/**
 * A bulk upload's `completion_window` query parameter (`24h`, `90m`, `3600s`, `7d`) in seconds;
 * absent → `fallbackS` (the tenant's bulk default, else the platform's). 60 s … 7 days.
 */
export function parseCompletionWindow(query: unknown, fallbackS: number): Outcome<number> {
  if (query === undefined) return { ok: true, value: fallbackS };
  const match = typeof query === 'string' ? WINDOW.exec(query) : null;
  if (!match) {
    return invalid([
      {
        path: 'completion_window',
        message: 'must be a number with a unit s, m, h or d (e.g. 24h, 90m, 3600s), given once',
      },
    ]);
  }
  const seconds = Number(match[1]) * UNIT_S[match[2] as keyof typeof UNIT_S];
  if (seconds < MIN_COMPLETION_WINDOW_S || seconds > MAX_DEADLINE_S) {
    return invalid([
      {
        path: 'completion_window',
        message: `must be between ${MIN_COMPLETION_WINDOW_S} seconds and ${MAX_DEADLINE_S} seconds (7 days)`,
      },
    ]);
  }
  return { ok: true, value: seconds };
}
