import type { Redis } from 'ioredis';
import { AppError } from '@asahi/errors';
import { decodeEntry } from './entry-codec';
import type { Reply, VectorScripts } from './redis-scripts';
import { ReplicaStore, type AnnOptions } from './replica-store';

export interface NamespaceKeys {
  entries: string;
  order: string;
  expiry: string;
  tombs: string;
  meta: string;
  /** In script KEYS order. */
  all: string[];
}

/** One hash tag per namespace (cluster-safe multi-key scripts); the tenant id is URI-encoded so
 * no namespace can spell another's keys. */
export function namespaceKeys(prefix: string, namespace: string): NamespaceKeys {
  const base = `${prefix}:{${encodeURIComponent(namespace)}}`;
  const keys = {
    entries: `${base}:entries`,
    order: `${base}:order`,
    expiry: `${base}:expiry`,
    tombs: `${base}:tombs`,
    meta: `${base}:meta`,
  };
  return { ...keys, all: [keys.entries, keys.order, keys.expiry, keys.tombs, keys.meta] };
}

export interface ReplicaContext {
  redis: Redis;
  scripts: VectorScripts;
  dims: number;
  ann: AnnOptions;
  syncPageSize: number;
  loadBatchSize: number;
  now(): number;
}

/** What a write script reported: the seq range it used and the ids it removed besides. */
export interface WriteOutcome {
  epoch: string;
  startSeq: number;
  endSeq: number;
}

const MAX_SYNC_ROUNDS = 1000;
const text = (r: Reply | undefined) => (Buffer.isBuffer(r) ? r.toString('utf8') : '');
const list = (r: Reply | undefined): Reply[] => (Array.isArray(r) ? r : []);

/**
 * This process's copy of one namespace. `sync()` brings it up to date with Redis in one round trip
 * when it is current or a few changes behind, and reloads it in full when it fell too far behind
 * (or first use). Syncs are single-flight: callers arriving while one runs share the next one,
 * which starts after they arrived, so every query still sees every write that finished before it.
 */
export class NamespaceReplica {
  store: ReplicaStore | undefined;
  epoch = '';
  seq = 0;
  private inFlight: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private disposed = false;

  constructor(
    private readonly ctx: ReplicaContext,
    readonly keys: NamespaceKeys,
  ) {}

  sync(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.catchUp().finally(() => {
        this.inFlight = undefined;
      });
      return this.inFlight;
    }
    this.next ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.sync();
      });
    return this.next;
  }

  /**
   * Applies this process's own write without a round trip, when the replica is exactly at the seq
   * before it and no sync is running; otherwise the next sync picks it up from Redis.
   */
  applyOwnWrite(outcome: WriteOutcome, apply: (store: ReplicaStore) => void): void {
    const store = this.store;
    if (!store || this.inFlight || outcome.epoch !== this.epoch) return;
    if (this.seq !== outcome.startSeq - 1) return;
    apply(store);
    this.seq = outcome.endSeq;
    store.maintain();
  }

  private async catchUp(): Promise<void> {
    const { scripts, syncPageSize } = this.ctx;
    for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
      const reply = await scripts.sync(this.keys.all, [this.epoch, this.seq, syncPageSize]);
      const status = text(reply[0]);
      if (status === 'empty') {
        if (!this.store || this.store.size > 0) this.replaceStore(this.newStore());
        this.epoch = '';
        this.seq = 0;
        return;
      }
      if (status === 'reset') {
        await this.reload(text(reply[1]), Number(text(reply[2])));
        continue;
      }
      this.applyChanges(list(reply[3]), list(reply[4]));
      this.epoch = text(reply[1]);
      this.seq = Number(text(reply[2]));
      if (status === 'ok') {
        this.store!.maintain();
        return;
      }
    }
    throw new AppError('unavailable', `vector replica ${this.keys.meta} did not converge`);
  }

  private applyChanges(upserts: Reply[], deletes: Reply[]): void {
    const store = (this.store ??= this.newStore());
    const now = this.ctx.now();
    for (let i = 0; i + 1 < upserts.length; i += 2) {
      const id = text(upserts[i]);
      const value = upserts[i + 1];
      const entry = Buffer.isBuffer(value) ? decodeEntry(value, this.ctx.dims) : undefined;
      if (entry && entry.expiresAt > now)
        store.put(id, entry.vectorBytes, entry.metadata, entry.expiresAt);
      else store.remove(id);
    }
    for (const id of deletes) store.remove(text(id));
  }

  /**
   * Full load: remember the seq first, scan the whole hash, then let the caller sync from that
   * seq. Changes made during the scan have higher seqs, so the follow-up sync replays them.
   */
  private async reload(epoch: string, seq: number): Promise<void> {
    // Sized up front: growing a 100k × 512 slab by copies would transiently double its memory.
    const fresh = this.newStore(await this.ctx.redis.hlen(this.keys.entries));
    const now = this.ctx.now();
    let cursor = '0';
    do {
      const [next, flat] = await this.ctx.redis.hscanBuffer(
        this.keys.entries,
        cursor,
        'COUNT',
        this.ctx.loadBatchSize,
      );
      cursor = next.toString();
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const entry = decodeEntry(flat[i + 1]!, this.ctx.dims);
        if (entry && entry.expiresAt > now)
          fresh.put(flat[i]!.toString('utf8'), entry.vectorBytes, entry.metadata, entry.expiresAt);
      }
    } while (cursor !== '0');
    this.replaceStore(fresh);
    this.epoch = epoch;
    this.seq = seq;
  }

  /**
   * Stops background index builds of a replica that was dropped. A query still holding it may
   * finish on it (by exact scan); nothing builds an index for it any more.
   */
  dispose(): void {
    this.disposed = true;
    this.store?.dispose();
  }

  private replaceStore(store: ReplicaStore): void {
    this.store?.dispose();
    if (this.disposed) store.dispose();
    this.store = store;
  }

  private newStore(capacity = 1024): ReplicaStore {
    return new ReplicaStore(this.ctx.dims, this.ctx.ann, Math.max(16, capacity));
  }
}
