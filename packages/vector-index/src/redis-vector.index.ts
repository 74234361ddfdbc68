import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '@asahi/errors';
import type { Clock, VectorEntry, VectorIndex, VectorMatch } from '@asahi/stages';
import { encodeEntry } from './entry-codec';
import {
  NamespaceReplica,
  namespaceKeys,
  type ReplicaContext,
  type WriteOutcome,
} from './namespace-replica';
import { defineVectorScripts, type Reply, type VectorScripts } from './redis-scripts';
import { DEFAULT_ANN_OPTIONS, type AnnOptions } from './replica-store';

export interface RedisVectorIndexOptions {
  /** Shared with BullMQ is fine: the index bounds its own memory and never relies on maxmemory. */
  redis: Redis;
  /** Key prefix, e.g. `asahi:vec` (add ASAHI_NAMESPACE in the app so stacks can share Redis). */
  prefix: string;
  dimensions: number;
  /** Entries kept per namespace; the least recently written are evicted beyond it. Default 100,000. */
  maxEntriesPerNamespace?: number;
  /** TTL of an entry when upsert gives none. Default 7 days. */
  defaultTtlSeconds?: number;
  /** Source of "now" for expiry. Default the system clock. */
  clock?: Clock;
  /** Approximate-search tuning (see README). */
  ann?: Partial<AnnOptions>;
  /** Namespaces replicated in this process at once; the least recently queried is dropped. Default 64. */
  maxReplicatedNamespaces?: number;
  /**
   * Estimated bytes all replicas of this process may hold (typed arrays plus ≈ 200 B per entry
   * for ids and metadata; ≈ 290 MB per 100k × 512 namespace). Beyond it the least recently
   * queried replicas are dropped (reloaded from Redis on their next query); the namespace being
   * queried is always kept, even alone over the budget. Default 1 GiB.
   */
  maxReplicaBytes?: number;
  /** Changes fetched per sync round trip. Default 2000. */
  syncPageSize?: number;
  /** HSCAN COUNT of a full load. Default 1000. */
  loadBatchSize?: number;
  /** Removals remembered for catching-up replicas. Default max(10,000, maxEntriesPerNamespace). */
  tombstoneLimit?: number;
  /** Expired entries removed from Redis per upsert. Default 256. */
  expireBatch?: number;
  /** Entries per upsert script call. Default 500. */
  writeBatchSize?: number;
  /** Called when an upsert evicts entries to stay within the bound (for metrics). */
  onEvict?: (namespace: string, count: number) => void;
}

export interface NamespaceStats {
  /** Entries in Redis (expired ones not yet swept included). */
  entries: number;
  /** Entries ever evicted by the size bound, across all processes. */
  evicted: number;
  /** Entries removed by the expiry sweep. */
  expired: number;
  /** This process's replica, if it holds one. */
  replica?: {
    entries: number;
    indexed: boolean;
    /** An index (re)build is running in the background. */
    building: boolean;
    typedArrayBytes: number;
    /** typedArrayBytes plus an estimate for ids and metadata (what maxReplicaBytes counts). */
    approxBytes: number;
    lastBuildMs: number;
  };
}

export interface RedisVectorIndex extends VectorIndex {
  stats(namespace: string): Promise<NamespaceStats>;
  /**
   * Brings this process's replica of `namespace` up to date and waits for its index build, if
   * one is running (warm-up ahead of traffic). A query syncs itself but never waits for a build.
   */
  sync(namespace: string): Promise<void>;
  /** Drops every local replica (Redis is untouched). */
  dropReplicas(): void;
}

const DAY_S = 86_400;
/** Keys outlive the longest entry by this much, so a late sync still sees the final state. */
const KEY_GRACE_MS = 60_000;
const DEFAULT_MAX_REPLICA_BYTES = 1024 * 1024 * 1024;

export function createRedisVectorIndex(options: RedisVectorIndexOptions): RedisVectorIndex {
  return new RedisReplicatedVectorIndex(options);
}

class RedisReplicatedVectorIndex implements RedisVectorIndex {
  readonly name = 'redis-replicated';
  private readonly maxEntries: number;
  private readonly defaultTtl: number;
  private readonly clock: Clock;
  private readonly tombLimit: number;
  private readonly scripts: VectorScripts;
  private readonly ctx: ReplicaContext;
  /** Least recently queried first. */
  private readonly replicas = new Map<string, NamespaceReplica>();

  constructor(private readonly options: RedisVectorIndexOptions) {
    this.maxEntries = options.maxEntriesPerNamespace ?? 100_000;
    this.defaultTtl = options.defaultTtlSeconds ?? 7 * DAY_S;
    const clock = (this.clock = options.clock ?? { now: () => Date.now() });
    this.tombLimit = options.tombstoneLimit ?? Math.max(10_000, this.maxEntries);
    this.scripts = defineVectorScripts(options.redis);
    this.ctx = {
      redis: options.redis,
      scripts: this.scripts,
      dims: options.dimensions,
      ann: { ...DEFAULT_ANN_OPTIONS, ...options.ann },
      syncPageSize: options.syncPageSize ?? 2000,
      loadBatchSize: options.loadBatchSize ?? 1000,
      now: () => clock.now(),
    };
  }

  async upsert(namespace: string, entries: VectorEntry[], options?: { ttlSeconds?: number }) {
    const ttlSeconds = options?.ttlSeconds ?? this.defaultTtl;
    if (!(ttlSeconds > 0)) throw new AppError('invalid_request', 'ttlSeconds must be positive');
    for (const e of entries) this.checkVector(e.vector, `vector ${e.id}`);
    const batch = this.options.writeBatchSize ?? 500;
    for (let i = 0; i < entries.length; i += batch)
      await this.upsertBatch(namespace, entries.slice(i, i + batch), ttlSeconds);
  }

  async query(
    namespace: string,
    vector: Float32Array,
    options: { topK: number; minScore?: number },
  ): Promise<VectorMatch[]> {
    this.checkVector(vector, 'query vector');
    if (options.topK < 1) return [];
    const replica = this.replicaFor(namespace);
    await replica.sync();
    this.enforceReplicaBudget(namespace);
    // Indexed: the ANN search, synchronous as ever. Cold (first build still running): an exact
    // scan in slices, so the caller's time budget can fire meanwhile.
    return replica.store!.searchUnblocking(vector, { ...options, now: this.clock.now() });
  }

  async delete(namespace: string, ids: string[]) {
    if (ids.length === 0) return;
    const keys = namespaceKeys(this.options.prefix, namespace);
    const reply = await this.scripts.remove(keys.all, [this.tombLimit, ...ids]);
    const removed = idsOf(reply[3]);
    this.replicas.get(namespace)?.applyOwnWrite(outcomeOf(reply), (store) => {
      for (const id of removed) store.remove(id);
    });
  }

  async stats(namespace: string): Promise<NamespaceStats> {
    const keys = namespaceKeys(this.options.prefix, namespace);
    const [entries, meta] = await Promise.all([
      this.options.redis.hlen(keys.entries),
      this.options.redis.hmget(keys.meta, 'evicted', 'expired'),
    ]);
    const store = this.replicas.get(namespace)?.store;
    return {
      entries,
      evicted: Number(meta[0] ?? 0),
      expired: Number(meta[1] ?? 0),
      ...(store && {
        replica: {
          entries: store.size,
          indexed: store.indexed,
          building: store.building,
          typedArrayBytes: store.typedArrayBytes,
          approxBytes: store.approxBytes,
          lastBuildMs: store.lastBuildMs,
        },
      }),
    };
  }

  async sync(namespace: string): Promise<void> {
    const replica = this.replicaFor(namespace);
    await replica.sync();
    this.enforceReplicaBudget(namespace);
    await replica.store?.whenIndexed();
  }

  dropReplicas(): void {
    for (const replica of this.replicas.values()) replica.dispose();
    this.replicas.clear();
  }

  private async upsertBatch(namespace: string, entries: VectorEntry[], ttlSeconds: number) {
    const keys = namespaceKeys(this.options.prefix, namespace);
    const now = this.clock.now();
    const expiresAt = now + ttlSeconds * 1000;
    const args: (string | Buffer | number)[] = [
      now,
      randomUUID(), // becomes the epoch if this write creates the namespace
      this.maxEntries,
      this.tombLimit,
      Math.ceil(ttlSeconds * 1000) + KEY_GRACE_MS,
      this.options.expireBatch ?? 256,
    ];
    for (const e of entries)
      args.push(e.id, encodeEntry(e.vector, e.metadata, expiresAt), expiresAt);
    const reply = await this.scripts.upsert(keys.all, args);
    const expired = idsOf(reply[3]);
    const evicted = idsOf(reply[4]);
    if (evicted.length > 0) this.options.onEvict?.(namespace, evicted.length);
    this.replicas.get(namespace)?.applyOwnWrite(outcomeOf(reply), (store) => {
      for (const id of expired) store.remove(id);
      for (const e of entries) store.put(e.id, e.vector, e.metadata, expiresAt);
      for (const id of evicted) store.remove(id);
    });
  }

  private replicaFor(namespace: string): NamespaceReplica {
    let replica = this.replicas.get(namespace);
    if (replica) this.replicas.delete(namespace);
    else replica = new NamespaceReplica(this.ctx, namespaceKeys(this.options.prefix, namespace));
    this.replicas.set(namespace, replica);
    if (this.replicas.size > (this.options.maxReplicatedNamespaces ?? 64))
      this.dropReplica(this.replicas.keys().next().value!);
    return replica;
  }

  /** Drops the least recently queried replicas until the estimate fits, never `keep`'s. */
  private enforceReplicaBudget(keep: string): void {
    const budget = this.options.maxReplicaBytes ?? DEFAULT_MAX_REPLICA_BYTES;
    let total = 0;
    for (const replica of this.replicas.values()) total += replica.store?.approxBytes ?? 0;
    for (const [namespace, replica] of this.replicas) {
      if (total <= budget) return;
      if (namespace === keep) continue;
      total -= replica.store?.approxBytes ?? 0;
      this.dropReplica(namespace);
    }
  }

  private dropReplica(namespace: string): void {
    this.replicas.get(namespace)?.dispose();
    this.replicas.delete(namespace);
  }

  private checkVector(v: Float32Array, what: string) {
    const dims = this.options.dimensions;
    if (v.length !== dims)
      throw new AppError(
        'invalid_request',
        `${what} has ${v.length} dimensions, the index ${dims}`,
      );
  }
}

function idsOf(reply: Reply | undefined): string[] {
  return Array.isArray(reply) ? reply.map((r) => r.toString()) : [];
}

function outcomeOf(reply: Reply[]): WriteOutcome {
  return {
    epoch: reply[0]?.toString() ?? '',
    startSeq: Number(reply[1]?.toString()),
    endSeq: Number(reply[2]?.toString()),
  };
}
