import type {
  CacheTier,
  DispatchReport,
  RoutingDecision,
  Savings,
  TokenReport,
  ChatOutput,
  RequestMessage,
  ResultError,
  ResultMessage,
  TerminalStatus,
  Usage,
} from '@asahi/contracts';

export const ZERO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

export interface ResultFields {
  status: TerminalStatus;
  completedAt: number;
  model: string;
  provider: string;
  output?: ChatOutput;
  usage?: Usage;
  costUsd?: number;
  baselineCostUsd?: number;
  cacheTier?: CacheTier;
  attempts: number;
  timings: Record<string, number>;
  error?: ResultError;
  routing?: RoutingDecision | undefined;
  tokens?: TokenReport | undefined;
  savings?: Savings | undefined;
  dispatch?: DispatchReport | undefined;
}

/** The one place a result message is assembled from its request, so every field is carried over. */
export function buildResult(request: RequestMessage, fields: ResultFields): ResultMessage {
  const result: ResultMessage = {
    schemaVersion: 1,
    requestId: request.requestId,
    tenantId: request.tenantId,
    mode: request.mode,
    status: fields.status,
    acceptedAt: request.acceptedAt,
    deadlineAt: request.deadlineAt,
    completedAt: new Date(fields.completedAt).toISOString(),
    model: fields.model,
    provider: fields.provider,
    usage: fields.usage ?? ZERO_USAGE,
    costUsd: fields.costUsd ?? 0,
    baselineCostUsd: fields.baselineCostUsd ?? 0,
    cacheTier: fields.cacheTier ?? 'none',
    attempts: fields.attempts,
    timings: fields.timings,
  };
  if (fields.output) result.output = fields.output;
  if (fields.error) result.error = fields.error;
  if (request.callback) result.callback = request.callback;
  if (request.traceparent) result.traceparent = request.traceparent;
  if (fields.routing) result.routing = fields.routing;
  if (fields.tokens) result.tokens = fields.tokens;
  if (fields.savings) result.savings = fields.savings;
  if (fields.dispatch) result.dispatch = fields.dispatch;
  return result;
}
