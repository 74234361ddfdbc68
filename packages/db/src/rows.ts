import type {
  DispatchReport,
  CacheTier,
  ChatOutput,
  RequestMode,
  ResultError,
  RoutingDecision,
  Savings,
  TerminalStatus,
  TokenReport,
} from '@asahi/contracts';
import type {
  ApiKey,
  Job,
  Result,
  Tenant,
  UsageHourly,
  WebhookDelivery,
} from './generated/prisma/client';

/**
 * What repositories return: plain data. Decimals and BigInts become numbers here, at the
 * boundary, so callers never see Prisma runtime types (money fits a double comfortably at
 * numeric(20,10) magnitudes we store; token counts stay far below 2^53).
 */
export type JobStatus = 'queued' | 'running' | TerminalStatus;
export const TERMINAL_JOB_STATUSES: readonly TerminalStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'expired',
];
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface TenantRow {
  id: string;
  name: string;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** An API key as listed to its owner: never the hash, never the secret. */
export interface ApiKeyRow {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  roles: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface JobRow {
  id: string;
  tenantId: string;
  mode: RequestMode;
  status: JobStatus;
  model: string;
  /** The accepted RequestMessage; `{}` when the row was created from a result (ingest row lost). */
  request: unknown;
  callbackUrl: string | null;
  deadlineAt: Date;
  /** When the request was accepted. */
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  attempts: number;
  resultId: string | null;
}

export interface ResultRow {
  id: string;
  jobId: string;
  tenantId: string;
  status: TerminalStatus;
  model: string;
  provider: string;
  output: ChatOutput | null;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  cacheTier: CacheTier;
  timings: Record<string, number>;
  error: ResultError | null;
  attempts: number;
  completedAt: Date;
  createdAt: Date;
  /** Why the model was chosen; null for results written before routing existed. */
  routing: RoutingDecision | null;
  /** Prompt tokens before and after optimization; null when not reported. */
  tokens: TokenReport | null;
  /** USD saved per stage against the baseline; null when not reported. */
  savings: Savings | null;
  /** How dispatch ran it (execution, batch, fallback); null for cache hits and older results. */
  dispatch: DispatchReport | null;
}

export interface JobWithResult extends JobRow {
  result: ResultRow | null;
}

export interface AuditEventRow {
  id: string;
  tenantId: string;
  requestId: string;
  type: string;
  at: Date;
  data: Record<string, unknown>;
  seq: number;
  prevHash: string | null;
  hash: string | null;
}

export interface WebhookDeliveryRow {
  id: string;
  jobId: string;
  tenantId: string;
  url: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface UsageHourlyRow {
  tenantId: string;
  model: string;
  /** Start of the UTC hour. */
  hour: Date;
  requests: number;
  succeeded: number;
  failed: number;
  cacheHits: number;
  providerCalls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  /** USD saved per stage (see Savings in @asahi/contracts). */
  savedCacheUsd: number;
  savedIntermediateUsd: number;
  savedRoutingUsd: number;
  savedTokensUsd: number;
  savedBatchUsd: number;
  /** Prompt tokens before token optimization (`promptTokens` is after). */
  originalPromptTokens: number;
  updatedAt: Date;
}

/** Prisma Decimal, bigint, or an already-plain value, as a number. */
export function toNumber(value: { toNumber(): number } | bigint | number | string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  return value.toNumber();
}

export function toTenantRow(t: Tenant): TenantRow {
  return { ...t, settings: (t.settings ?? {}) as Record<string, unknown> };
}

export function toApiKeyRow(k: ApiKey): ApiKeyRow {
  return {
    id: k.id,
    tenantId: k.tenantId,
    name: k.name,
    prefix: k.prefix,
    roles: k.roles,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  };
}

export function toJobRow(j: Job): JobRow {
  return { ...j, mode: j.mode as RequestMode, status: j.status as JobStatus, request: j.request };
}

export function toResultRow(r: Result): ResultRow {
  return {
    ...r,
    status: r.status as TerminalStatus,
    output: (r.output ?? null) as ChatOutput | null,
    costUsd: toNumber(r.costUsd),
    baselineCostUsd: toNumber(r.baselineCostUsd),
    cacheTier: r.cacheTier as CacheTier,
    timings: r.timings as Record<string, number>,
    error: (r.error ?? null) as ResultError | null,
    routing: (r.routing ?? null) as RoutingDecision | null,
    tokens: (r.tokens ?? null) as TokenReport | null,
    savings: (r.savings ?? null) as Savings | null,
    dispatch: (r.dispatch ?? null) as DispatchReport | null,
  };
}

export function toJobWithResult(j: Job & { result: Result | null }): JobWithResult {
  const { result, ...job } = j;
  return { ...toJobRow(job), result: result ? toResultRow(result) : null };
}

export function toWebhookDeliveryRow(d: WebhookDelivery): WebhookDeliveryRow {
  return { ...d, status: d.status as WebhookDeliveryStatus };
}

export function toUsageHourlyRow(u: UsageHourly): UsageHourlyRow {
  return {
    ...u,
    promptTokens: toNumber(u.promptTokens),
    completionTokens: toNumber(u.completionTokens),
    costUsd: toNumber(u.costUsd),
    baselineCostUsd: toNumber(u.baselineCostUsd),
    savedCacheUsd: toNumber(u.savedCacheUsd),
    savedIntermediateUsd: toNumber(u.savedIntermediateUsd),
    savedRoutingUsd: toNumber(u.savedRoutingUsd),
    savedTokensUsd: toNumber(u.savedTokensUsd),
    savedBatchUsd: toNumber(u.savedBatchUsd),
    originalPromptTokens: toNumber(u.originalPromptTokens),
  };
}
