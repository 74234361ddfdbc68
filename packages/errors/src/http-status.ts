import type { ErrorCode } from './app-error';

/** The one mapping from error code to HTTP status, used by every HTTP surface. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  unknown_model: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  invalid_message: 400,
  provider_error: 502,
  provider_rate_limited: 503,
  provider_timeout: 504,
  provider_bad_response: 502,
  deadline_exceeded: 504,
  unavailable: 503,
  internal: 500,
};

/** Error `type` groups codes the way clients branch on them. */
export function errorTypeOf(
  code: ErrorCode,
): 'invalid_request_error' | 'authentication_error' | 'rate_limit_error' | 'api_error' {
  if (code === 'unauthenticated' || code === 'forbidden') return 'authentication_error';
  if (code === 'rate_limited') return 'rate_limit_error';
  const status = HTTP_STATUS_BY_CODE[code];
  return status < 500 ? 'invalid_request_error' : 'api_error';
}

export interface ErrorBody {
  error: { type: string; code: ErrorCode; message: string; requestId: string; details?: unknown };
}

export function toErrorBody(
  code: ErrorCode,
  message: string,
  requestId: string,
  details?: unknown,
): ErrorBody {
  const body: ErrorBody = { error: { type: errorTypeOf(code), code, message, requestId } };
  if (details !== undefined) body.error.details = details;
  return body;
}
