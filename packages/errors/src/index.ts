export { AppError, isAppError, toAppError } from './app-error';
export type { ErrorCode, AppErrorOptions } from './app-error';
export { HTTP_STATUS_BY_CODE, errorTypeOf, toErrorBody } from './http-status';
export type { ErrorBody } from './http-status';
