import { Errors, Pinecone, type Index, type RecordMetadata } from '@pinecone-database/pinecone';
import { AppError } from '@asahi/errors';
import type { Clock, VectorEntry, VectorIndex, VectorMatch, VectorMetadata } from '@asahi/stages';

export interface PineconeVectorIndexOptions {
  apiKey: string;
  /** The index's name (informational: data calls go straight to `indexHost`). */
  indexName: string;
  /** The index's data-plane host from the console or describeIndex, e.g. `my-idx-abc.svc…pinecone.io`. */
  indexHost: string;
  /**
   * Isolates stacks sharing one index, e.g. `asahi-prod`. The Pinecone namespace is
   * `<prefix>/<tenant>` (see `pineconeNamespace`). Default '' (namespace = tenant).
   */
  namespacePrefix?: string;
  /** TTL of an entry when upsert gives none. Default 7 days. */
  defaultTtlSeconds?: number;
  clock?: Clock;
  /** Minimum time between best-effort deletes of a namespace's expired records. Default 10 min. */
  sweepIntervalMs?: number;
  /** SDK retries of 5xx/network errors per call. Default 3 (the SDK's). */
  maxRetries?: number;
  /** Told about failed background sweeps (they never fail a caller's operation). */
  onSweepError?: (namespace: string, error: AppError) => void;
}

/** Metadata key that holds the expiry (epoch ms); reserved, stripped from query results. */
export const EXPIRES_AT_KEY = 'expiresAt';
const UPSERT_BATCH = 100; // ~400 KB of JSON at 512 dimensions, under Pinecone's 2 MB request limit
const DELETE_BATCH = 1000; // Pinecone's limit of ids per delete request

/**
 * VectorIndex on Pinecone: one Pinecone namespace per tenant. Pinecone has no TTL, so each record
 * carries `expiresAt` in its metadata, queries filter on `expiresAt > now`, and expired records are
 * deleted by metadata filter in the background, at most once per sweep interval per namespace.
 */
export function createPineconeVectorIndex(options: PineconeVectorIndexOptions): VectorIndex {
  return new PineconeVectorIndex(options);
}

class PineconeVectorIndex implements VectorIndex {
  readonly name = 'pinecone';
  private readonly index: Index;
  private readonly clock: Clock;
  /** When each namespace was last swept of expired records. */
  private readonly lastSweep = new Map<string, number>();

  constructor(private readonly options: PineconeVectorIndexOptions) {
    const pc = new Pinecone({ apiKey: options.apiKey, maxRetries: options.maxRetries });
    // With a host the SDK never calls the control plane to resolve the index.
    this.index = pc.index({ name: options.indexName, host: options.indexHost });
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  async upsert(tenant: string, entries: VectorEntry[], options?: { ttlSeconds?: number }) {
    const ttlSeconds = options?.ttlSeconds ?? this.options.defaultTtlSeconds ?? 7 * 86_400;
    if (!(ttlSeconds > 0)) throw new AppError('invalid_request', 'ttlSeconds must be positive');
    if (entries.length === 0) return;
    const now = this.clock.now();
    const expiresAt = now + ttlSeconds * 1000;
    const records = entries.map((e) => ({
      id: e.id,
      values: Array.from(e.vector),
      metadata: { ...e.metadata, [EXPIRES_AT_KEY]: expiresAt } as RecordMetadata,
    }));
    for (let i = 0; i < records.length; i += UPSERT_BATCH)
      await call(() => this.target(tenant).upsert({ records: records.slice(i, i + UPSERT_BATCH) }));
    this.sweep(tenant, now);
  }

  async query(
    tenant: string,
    vector: Float32Array,
    options: { topK: number; minScore?: number },
  ): Promise<VectorMatch[]> {
    if (options.topK < 1) return [];
    const now = this.clock.now();
    const response = await call(() =>
      this.target(tenant).query({
        vector: Array.from(vector),
        topK: Math.floor(options.topK),
        includeMetadata: true,
        filter: { [EXPIRES_AT_KEY]: { $gt: now } },
      }),
    );
    const minScore = options.minScore ?? Number.NEGATIVE_INFINITY;
    return response.matches
      .filter((m) => (m.score ?? Number.NEGATIVE_INFINITY) >= minScore)
      .map((m) => ({
        id: m.id,
        score: Math.max(-1, Math.min(1, m.score ?? 0)),
        metadata: withoutExpiry(m.metadata),
      }));
  }

  async delete(tenant: string, ids: string[]) {
    for (let i = 0; i < ids.length; i += DELETE_BATCH)
      await call(() => this.target(tenant).deleteMany({ ids: ids.slice(i, i + DELETE_BATCH) }));
  }

  private target(tenant: string): Index {
    return this.index.namespace(pineconeNamespace(this.options.namespacePrefix ?? '', tenant));
  }

  /** Best-effort, in the background, at most once per interval per namespace. */
  private sweep(tenant: string, now: number) {
    const interval = this.options.sweepIntervalMs ?? 10 * 60_000;
    if (now - (this.lastSweep.get(tenant) ?? Number.NEGATIVE_INFINITY) < interval) return;
    this.lastSweep.set(tenant, now);
    this.target(tenant)
      .deleteMany({ filter: { [EXPIRES_AT_KEY]: { $lte: now } } })
      .catch((err: unknown) => this.options.onSweepError?.(tenant, toAppError(err)));
  }
}

/**
 * The Pinecone namespace of a tenant: `<prefix>/<tenant>`, or the tenant alone without a prefix.
 * Plain concatenation let `asahi-x` + `yz` and `asahi-xy` + `z` share a namespace. Contract
 * tenant ids ([A-Za-z0-9._:-]) and ASAHI_NAMESPACE-derived prefixes ([a-z0-9-]) cannot contain
 * `/`; for any other tenant `%` and `/` are percent-encoded, so the text after the last `/` is
 * always exactly one tenant and no two (prefix, tenant) pairs meet.
 */
export function pineconeNamespace(prefix: string, tenant: string): string {
  const escaped = tenant.replace(/[%/]/g, (c) => encodeURIComponent(c));
  return prefix === '' ? escaped : `${prefix}/${escaped}`;
}

function withoutExpiry(metadata: RecordMetadata | undefined): VectorMetadata {
  const out: VectorMetadata = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    // The port's metadata is scalar; Pinecone's string lists are not ours to return.
    if (key !== EXPIRES_AT_KEY && !Array.isArray(value)) out[key] = value;
  }
  return out;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAppError(err);
  }
}

/** By error class, never by message: bad input is final, auth is a config error, the rest retryable. */
function toAppError(err: unknown): AppError {
  const message = `pinecone: ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof Errors.PineconeArgumentError || err instanceof Errors.PineconeBadRequestError)
    return new AppError('invalid_request', message, { cause: err });
  if (err instanceof Errors.PineconeAuthorizationError)
    return new AppError('internal', message, { cause: err, retryable: false });
  return new AppError('unavailable', message, { cause: err });
}
