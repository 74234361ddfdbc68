export interface RateLimits {
  /** Requests per window; 0 = unlimited. */
  rpm: number;
  /** Tokens per window; 0 = unlimited. */
  tpm: number;
  windowMs?: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Which limit refused: `request_too_large` when one request alone exceeds the TPM. */
  reason: 'requests' | 'tokens' | 'request_too_large' | null;
  /** How long until the same request would be admitted; 0 when allowed. */
  retryAfterMs: number;
  limitRequests: number;
  remainingRequests: number;
  /** Time until the request window is empty again (OpenAI: "resets to its initial state"). */
  resetRequestsMs: number;
  limitTokens: number;
  remainingTokens: number;
  resetTokensMs: number;
}

interface Entry {
  at: number;
  tokens: number;
}

const DEFAULT_WINDOW_MS = 60_000;

/**
 * The provider's own per-key (per-model) limit: a sliding window over the last 60 s of admitted
 * requests, with the clock injected so the arithmetic is testable without waiting.
 */
export class SlidingWindowRateLimiter {
  private readonly windows = new Map<string, Entry[]>();
  private readonly windowMs: number;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.windowMs = limits.windowMs ?? DEFAULT_WINDOW_MS;
  }

  get enabled(): boolean {
    return this.limits.rpm > 0 || this.limits.tpm > 0;
  }

  /** Admits (and records) the request when both limits allow it. */
  acquire(key: string, tokens: number): RateDecision {
    const now = this.now();
    const entries = this.prune(key, now);
    const refusal = this.refusal(entries, tokens, now);
    if (!refusal) entries.push({ at: now, tokens });
    return this.describe(entries, now, refusal);
  }

  reset(): void {
    this.windows.clear();
  }

  private prune(key: string, now: number): Entry[] {
    const entries = this.windows.get(key) ?? [];
    let drop = 0;
    while (drop < entries.length && (entries[drop]?.at ?? 0) + this.windowMs <= now) drop += 1;
    if (drop > 0) entries.splice(0, drop);
    this.windows.set(key, entries);
    return entries;
  }

  private refusal(
    entries: Entry[],
    tokens: number,
    now: number,
  ): Pick<RateDecision, 'reason' | 'retryAfterMs'> | null {
    const { rpm, tpm } = this.limits;
    if (tpm > 0 && tokens > tpm)
      return { reason: 'request_too_large', retryAfterMs: this.windowMs };
    let requestWait = 0;
    if (rpm > 0 && entries.length + 1 > rpm) {
      // The admitted count must drop to rpm - 1: wait for the oldest (length - rpm + 1) to expire.
      requestWait = this.expiryOf(entries[entries.length - rpm], now);
    }
    let tokenWait = 0;
    if (tpm > 0) {
      let used = entries.reduce((sum, e) => sum + e.tokens, 0);
      for (let i = 0; used + tokens > tpm && i < entries.length; i += 1) {
        used -= entries[i]?.tokens ?? 0;
        tokenWait = this.expiryOf(entries[i], now);
      }
    }
    if (requestWait === 0 && tokenWait === 0) return null;
    return {
      reason: requestWait >= tokenWait ? 'requests' : 'tokens',
      retryAfterMs: Math.max(requestWait, tokenWait),
    };
  }

  private expiryOf(entry: Entry | undefined, now: number): number {
    return entry ? Math.max(1, entry.at + this.windowMs - now) : 1;
  }

  private describe(
    entries: Entry[],
    now: number,
    refusal: Pick<RateDecision, 'reason' | 'retryAfterMs'> | null,
  ): RateDecision {
    const { rpm, tpm } = this.limits;
    const used = entries.reduce((sum, e) => sum + e.tokens, 0);
    const newest = entries[entries.length - 1];
    const reset = newest ? Math.max(0, newest.at + this.windowMs - now) : 0;
    return {
      allowed: refusal === null,
      reason: refusal?.reason ?? null,
      retryAfterMs: refusal?.retryAfterMs ?? 0,
      limitRequests: rpm,
      remainingRequests: rpm > 0 ? Math.max(0, rpm - entries.length) : 0,
      resetRequestsMs: rpm > 0 ? reset : 0,
      limitTokens: tpm,
      remainingTokens: tpm > 0 ? Math.max(0, tpm - used) : 0,
      resetTokensMs: tpm > 0 ? reset : 0,
    };
  }
}

/** OpenAI's reset duration format: `120ms`, `1.5s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = ms / 1000;
  if (totalSeconds < 60) return `${Number(totalSeconds.toFixed(3))}s`;
  const minutes = Math.floor(totalSeconds / 60);
  return `${minutes}m${Number((totalSeconds - minutes * 60).toFixed(3))}s`;
}
