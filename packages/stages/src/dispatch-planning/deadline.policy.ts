import type { PriorityClass, RequestMode } from '@asahi/contracts';
import { AppError } from '@asahi/errors';

export type { PriorityClass };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Default time from acceptance to deadline, per mode:
 *  - sync: 30 s — a caller is blocked on the HTTP response;
 *  - async: 1 h — the caller waits for a webhook, so the work may wait for cheaper execution;
 *  - bulk: 24 h — the provider Batch API completion window (OpenAI `completion_window: "24h"`).
 */
export const DEFAULT_DEADLINE_MS: Readonly<Record<RequestMode, number>> = {
  sync: 30_000,
  async: HOUR,
  bulk: 24 * HOUR,
};

export interface DeadlineOverrides {
  /** Per-tenant deadlines per mode (ms after `now`); a missing mode falls back to the default. */
  tenant?: Partial<Record<RequestMode, number>>;
  /** For bulk: the completion window of the batch the item belongs to; wins over the tenant's. */
  completionWindowMs?: number;
}

const PRIORITY_BY_MODE: Readonly<Record<RequestMode, PriorityClass>> = {
  sync: 'interactive',
  async: 'standard',
  bulk: 'background',
};

/** The priority class a request gets from its mode when it does not name one. */
export function priorityClassOf(mode: RequestMode): PriorityClass {
  return PRIORITY_BY_MODE[mode];
}

function checkDuration(name: string, ms: number | undefined): number | undefined {
  if (ms === undefined) return undefined;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new AppError('invalid_request', `${name} must be a positive number of milliseconds`, {
      details: { [name]: ms },
    });
  }
  return ms;
}

/**
 * The absolute deadline (epoch ms) of a request accepted at `now` that names none.
 * Precedence: the bulk batch's completion window, then the tenant's setting, then the default.
 */
export function defaultDeadline(
  mode: RequestMode,
  now: number,
  overrides: DeadlineOverrides = {},
): number {
  const window =
    mode === 'bulk' ? checkDuration('completionWindowMs', overrides.completionWindowMs) : undefined;
  const tenant = checkDuration(`tenant.${mode}`, overrides.tenant?.[mode]);
  return now + (window ?? tenant ?? DEFAULT_DEADLINE_MS[mode]);
}
