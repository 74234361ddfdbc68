/**
 * Every error Asahi raises on purpose is an AppError: a stable `code` the HTTP layer maps to a
 * status and callers can act on, and a `retryable` flag that retry decisions use. Never match on
 * `message` text.
 */
export type ErrorCode =
  | 'invalid_request'
  /** The request names a model the registry does not know, or one that is disabled. */
  | 'unknown_model'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'invalid_message'
  | 'provider_error'
  | 'provider_rate_limited'
  | 'provider_timeout'
  | 'provider_bad_response'
  | 'deadline_exceeded'
  | 'unavailable'
  | 'internal';

export interface AppErrorOptions {
  /** Defaults to the code's own retryability (see RETRYABLE_BY_DEFAULT). */
  retryable?: boolean;
  /** Milliseconds the caller should wait before retrying, when the source told us (retry-after). */
  retryAfterMs?: number;
  /** Structured, client-safe details (field errors and the like). */
  details?: unknown;
  cause?: unknown;
}

const RETRYABLE_BY_DEFAULT: Record<ErrorCode, boolean> = {
  invalid_request: false,
  unknown_model: false,
  unauthenticated: false,
  forbidden: false,
  not_found: false,
  conflict: false,
  payload_too_large: false,
  rate_limited: true,
  invalid_message: false,
  provider_error: true,
  provider_rate_limited: true,
  provider_timeout: true,
  provider_bad_response: true,
  deadline_exceeded: false,
  unavailable: true,
  internal: false,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT[code];
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('internal', message, { cause: err });
}
