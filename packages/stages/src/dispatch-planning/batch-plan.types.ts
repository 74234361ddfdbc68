import type { PriorityClass } from './deadline.policy';

export type DispatchEndpoint = 'chat' | 'embeddings';

/** One request waiting for dispatch. Times are epoch milliseconds. */
export interface PendingItem {
  id: string;
  tenantId: string;
  deadlineAt: number;
  enqueuedAt: number;
  provider: string;
  model: string;
  endpoint: DispatchEndpoint;
  /** Hash of the parameters that change the output (temperature, max tokens, tools, …). */
  paramsKey: string;
  estimatedTokens: number;
  priority: PriorityClass;
}

/**
 * How a flushed group runs, cheapest first:
 *  - batch-api: one provider Batch API job (about half price, hours of turnaround);
 *  - array: one call with an array input (embeddings), fewer calls and rate-limit hits;
 *  - realtime: one ordinary call per member, made concurrently.
 */
export type Execution = 'batch-api' | 'array' | 'realtime';

/**
 * Why a flush happened: 'size' (enough members), 'slack' (the most urgent member's latest safe
 * start has come), 'max-wait' (the oldest member waited long enough), 'immediate' (a chat
 * request no batch can take gains nothing by waiting), 'past-deadline' (already late).
 */
export type FlushReason = 'size' | 'slack' | 'max-wait' | 'immediate' | 'past-deadline';

export interface Flush {
  provider: string;
  model: string;
  endpoint: DispatchEndpoint;
  paramsKey: string;
  execution: Execution;
  reason: FlushReason;
  /** True when every member's deadline had already passed at planning time. */
  late: boolean;
  /** Earliest deadline first, then id. */
  members: PendingItem[];
}

export interface BatchPlan {
  /** Earliest deadline first (by each flush's most urgent member), then id. */
  flush: Flush[];
  /** When to plan again for the members held back; null when nothing is held. Never before `now`. */
  wakeAt: number | null;
}

/** The OpenAI Batch API accepts at most this many lines (requests) per input file. */
export const BATCH_API_MAX_LINES = 50_000;

export interface BatchPolicy {
  /** Expected time from Batch API submission to results (measured by ops). Default 4 h. */
  expectedBatchTurnaroundMs: number;
  /** Safety margin on top of the turnaround before a member may go to the Batch API. Default 30 min. */
  marginMs: number;
  /** Members needed before a Batch API job is worth submitting early. Default 100. */
  minBatchApiSize: number;
  /** Longest a Batch-API-eligible member waits for company. Default 15 min. */
  batchApiMaxWaitMs: number;
  /** Lines per Batch API job; at most BATCH_API_MAX_LINES. Default 50,000. */
  batchApiMaxLines: number;
  /** Inputs per array (embeddings) call; a full array flushes at once. Default 2,048. */
  maxArraySize: number;
  /** Longest an embeddings member waits to share an array call. Default 200 ms. */
  arrayMaxWaitMs: number;
  /** Most realtime calls in one flush (the worker's concurrency unit). Default 256. */
  maxBatchSize: number;
  /**
   * Time a realtime call needs, retries included: a member's latest safe realtime start is
   * deadlineAt − this. Default 60 s.
   */
  realtimeAllowanceMs: number;
}

export const DEFAULT_BATCH_POLICY: Readonly<BatchPolicy> = {
  expectedBatchTurnaroundMs: 4 * 3_600_000,
  marginMs: 30 * 60_000,
  minBatchApiSize: 100,
  batchApiMaxWaitMs: 15 * 60_000,
  batchApiMaxLines: BATCH_API_MAX_LINES,
  maxArraySize: 2_048,
  arrayMaxWaitMs: 200,
  maxBatchSize: 256,
  realtimeAllowanceMs: 60_000,
};
