import {
  type DispatchReport,
  terminalStatusSchema,
  type ChatOutput,
  type ResultError,
  type RoutingDecision,
  type Savings,
  type TokenReport,
  type Usage,
} from '@asahi/contracts';

/** Prisma Decimal (or a plain number/string) → number: money is numeric(20,10) in Postgres. */
type DecimalLike = number | string | { toString(): string };

/** The columns of a result row the API shows (structural, so this file stays free of Prisma). */
export interface ResultRecord {
  status: string;
  model: string;
  provider: string;
  output: unknown;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: DecimalLike;
  baselineCostUsd: DecimalLike;
  cacheTier: string;
  timings: unknown;
  error: unknown;
  attempts: number;
  completedAt: Date;
  routing?: unknown;
  tokens?: unknown;
  savings?: unknown;
  dispatch?: unknown;
}

export interface JobRecord {
  id: string;
  tenantId: string;
  mode: string;
  status: string;
  model: string;
  deadlineAt: Date;
  createdAt: Date;
  completedAt: Date | null;
  /** The accepted RequestMessage as stored (compared on idempotent retries). */
  request?: unknown;
  result?: ResultRecord | null;
}

export interface ResultView {
  output: ChatOutput | null;
  usage: Usage;
  costUsd: number;
  baselineCostUsd: number;
  cacheTier: string;
  model: string;
  provider: string;
  attempts: number;
  timings: Record<string, number>;
  error: ResultError | null;
  /** Which model answered and why (routing mode, detected task, reason). */
  routing: RoutingDecision | null;
  /** Prompt tokens before and after token optimization. */
  tokens: TokenReport | null;
  /** USD saved per stage against the baseline. */
  savings: Savings | null;
  /** How dispatch ran it: execution (realtime, batch-api), batch, rate-limit wait, fallback. */
  dispatch: DispatchReport | null;
}

export interface JobView {
  id: string;
  object: 'job';
  status: string;
  mode: string;
  model: string;
  createdAt: string;
  deadlineAt: string;
  completedAt: string | null;
  result: ResultView | null;
}

const TERMINAL = new Set<string>(terminalStatusSchema.options);

export function isTerminal(status: string): boolean {
  return TERMINAL.has(status);
}

/** A job row (with its result, if any) as the API returns it; the result only once terminal. */
export function toJobView(job: JobRecord): JobView {
  const result = isTerminal(job.status) && job.result ? toResultView(job.result) : null;
  return {
    id: job.id,
    object: 'job',
    status: job.status,
    mode: job.mode,
    model: job.model,
    createdAt: job.createdAt.toISOString(),
    deadlineAt: job.deadlineAt.toISOString(),
    completedAt: (job.completedAt ?? job.result?.completedAt ?? null)?.toISOString() ?? null,
    result,
  };
}

function toResultView(r: ResultRecord): ResultView {
  return {
    output: (r.output ?? null) as ChatOutput | null,
    usage: {
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      totalTokens: r.totalTokens,
    },
    costUsd: Number(String(r.costUsd)),
    baselineCostUsd: Number(String(r.baselineCostUsd)),
    cacheTier: r.cacheTier,
    model: r.model,
    provider: r.provider,
    attempts: r.attempts,
    timings: (r.timings ?? {}) as Record<string, number>,
    error: (r.error ?? null) as ResultError | null,
    routing: (r.routing ?? null) as RoutingDecision | null,
    tokens: (r.tokens ?? null) as TokenReport | null,
    savings: (r.savings ?? null) as Savings | null,
    dispatch: (r.dispatch ?? null) as DispatchReport | null,
  };
}
