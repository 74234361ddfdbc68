/**
 * autocannon 8 ships no types and there is no @types/autocannon here: the subset of its
 * programmatic API that scripts/load uses, typed from its README ("Results", "Client API").
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** Called before each request is sent; return the (mutated) request, or a falsy value to reset. */
    setupRequest?: (
      request: AutocannonRequest,
      context: Record<string, unknown>,
    ) => AutocannonRequest | null | undefined;
    onResponse?: (
      status: number,
      body: string,
      context: Record<string, unknown>,
      headers: Record<string, string | string[]>,
    ) => void;
  }

  export interface AutocannonOptions {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    /** Requests per second over all connections. */
    overallRate?: number;
    connectionRate?: number;
    amount?: number;
    /** Per-request timeout, seconds (default 10). */
    timeout?: number;
    pipelining?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: AutocannonRequest[];
    bailout?: number;
    ignoreCoordinatedOmission?: boolean;
    excludeErrorStats?: boolean;
    title?: string;
  }

  /** hdr-histogram-percentiles-obj shape; there is no p95. */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p2_5: number;
    p50: number;
    p75: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
    p99_99: number;
    p99_999: number;
  }

  export interface Result {
    title?: string;
    url: string;
    connections: number;
    pipelining: number;
    /** Seconds. */
    duration: number;
    start: Date;
    finish: Date;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    '1xx': number;
    '2xx': number;
    '3xx': number;
    '4xx': number;
    '5xx': number;
    statusCodeStats: Record<string, { count: number }>;
    /** Milliseconds; coordinated-omission corrected when a rate is set. */
    latency: Histogram & { totalCount: number };
    /** Completed requests per second, sampled each second; `sent` is the total sent. */
    requests: Histogram & { sent: number };
    /** Response bytes per second, sampled each second. */
    throughput: Histogram;
  }

  export interface Client extends EventEmitter {
    setHeaders(headers: Record<string, string> | undefined): void;
    setBody(body: string | Buffer | undefined): void;
  }

  export interface Instance extends EventEmitter {
    stop(): void;
    on(
      event: 'response',
      listener: (
        client: Client,
        statusCode: number,
        resBytes: number,
        responseTimeMs: number,
      ) => void,
    ): this;
    on(event: 'reqError', listener: (error: Error) => void): this;
    on(event: 'done', listener: (result: Result) => void): this;
    on(event: 'tick', listener: (counter: { counter: number; bytes: number }) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export default function autocannon(
    options: AutocannonOptions,
    callback?: (err: Error | null, result: Result) => void,
  ): Instance;
}
