import type { Logger } from '@asahi/logger';
import type { Redis } from '@asahi/queue';

export type WaitOutcome = 'completed' | 'timeout' | 'not_found' | 'aborted';

export interface WaitOptions<T> {
  timeoutMs: number;
  /** Reads the current state from the source of truth (Postgres); null when it does not exist. */
  read: () => Promise<T | null>;
  isDone: (value: T) => boolean;
  /** Aborts the wait (the client went away); the last read value is returned. */
  signal?: AbortSignal;
}

export interface WaitResult<T> {
  value: T | null;
  outcome: WaitOutcome;
}

export interface ResultWaiter {
  wait<T>(requestId: string, options: WaitOptions<T>): Promise<WaitResult<T>>;
  /** Channels currently subscribed (one per request id with at least one waiter). */
  readonly channels: number;
  /** Ends every wait now (with the last read value) and refuses to start new ones: for shutdown. */
  release(): void;
}

export interface ResultWaiterOptions {
  /** A connection used only for SUBSCRIBE (a subscribed connection can do nothing else). */
  subscriber: Redis;
  channelFor: (requestId: string) => string;
  logger: Logger;
  /**
   * Safety net: re-read Postgres this often even without a message, so a lost announcement
   * (results crashed between persisting and publishing, a Redis reconnect) costs latency, not
   * a missed completion. Waits whose SUBSCRIBE did not complete in time poll every second.
   */
  pollIntervalMs?: number;
}

interface Waiter {
  wake(): void;
  next(ms: number, signal?: AbortSignal): Promise<void>;
}

interface ChannelEntry {
  waiters: Set<Waiter>;
  subscribed: Promise<unknown>;
}

const DEGRADED_POLL_MS = 1_000;

/**
 * Sync waits that work across any number of API instances: the result is announced on a Redis
 * channel that every instance can subscribe to. One subscriber connection per process; one
 * SUBSCRIBE per request id however many callers wait on it; UNSUBSCRIBE when the last leaves.
 *
 * Order matters: SUBSCRIBE first, THEN read Postgres. A result persisted before the subscription
 * is seen by the read; one persisted after is announced to the subscription. Messages only wake
 * waiters: the state always comes from a fresh, tenant-scoped read.
 */
export function createResultWaiter(options: ResultWaiterOptions): ResultWaiter {
  const pollMs = options.pollIntervalMs ?? 5_000;
  const registry = createChannelRegistry(options.subscriber, options.logger);
  const active = new Set<Waiter>();
  let released = false;

  return {
    get channels() {
      return registry.size();
    },
    release() {
      released = true;
      active.forEach((w) => w.wake());
    },
    async wait<T>(requestId: string, opts: WaitOptions<T>): Promise<WaitResult<T>> {
      const deadline = Date.now() + opts.timeoutMs;
      const channel = options.channelFor(requestId);
      const waiter = createWaiter();
      active.add(waiter);
      try {
        const subscribed = released
          ? false
          : await settlesBefore(registry.join(channel, waiter), deadline);
        let value = await opts.read();
        if (value === null) return { value, outcome: 'not_found' };
        for (;;) {
          if (opts.isDone(value)) return { value, outcome: 'completed' };
          if (opts.signal?.aborted) return { value, outcome: 'aborted' };
          const remaining = deadline - Date.now();
          if (remaining <= 0 || released) return { value, outcome: 'timeout' };
          await waiter.next(
            Math.min(remaining, subscribed ? pollMs : DEGRADED_POLL_MS),
            opts.signal,
          );
          if (released || opts.signal?.aborted)
            return { value, outcome: released ? 'timeout' : 'aborted' };
          value = (await opts.read()) ?? value;
        }
      } finally {
        active.delete(waiter);
        registry.leave(channel, waiter);
      }
    },
  };
}

/** Channel → waiters on the one subscriber connection, with SUBSCRIBE/UNSUBSCRIBE on first/last. */
function createChannelRegistry(subscriber: Redis, logger: Logger) {
  const channels = new Map<string, ChannelEntry>();
  let connectedBefore = subscriber.status === 'ready';

  subscriber.on('message', (channel: string) => {
    channels.get(channel)?.waiters.forEach((w) => w.wake());
  });
  // ioredis resubscribes after a reconnect, but what was published meanwhile is gone: re-read.
  subscriber.on('ready', () => {
    if (connectedBefore)
      for (const entry of channels.values()) entry.waiters.forEach((w) => w.wake());
    connectedBefore = true;
  });

  return {
    size: () => channels.size,
    join(channel: string, waiter: Waiter): Promise<unknown> {
      let entry = channels.get(channel);
      if (!entry) {
        // Issued synchronously: ioredis keeps command order, so an UNSUBSCRIBE of a previous
        // entry for this channel always reaches Redis before this SUBSCRIBE.
        const subscribed = subscriber.subscribe(channel);
        subscribed.catch((err: unknown) =>
          logger.warn({ err, channel }, 'result channel subscribe failed; polling'),
        );
        entry = { waiters: new Set(), subscribed };
        channels.set(channel, entry);
      }
      entry.waiters.add(waiter);
      return entry.subscribed;
    },
    leave(channel: string, waiter: Waiter): void {
      const entry = channels.get(channel);
      if (!entry?.waiters.delete(waiter) || entry.waiters.size > 0) return;
      channels.delete(channel);
      subscriber
        .unsubscribe(channel)
        .catch((err: unknown) =>
          logger.warn({ err, channel }, 'result channel unsubscribe failed'),
        );
    },
  };
}

/** True when the promise fulfils before the deadline; false when it rejects or is too slow. */
async function settlesBefore(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A wake-up signal that is not lost when it fires while the waiter is busy reading Postgres. */
function createWaiter(): Waiter {
  let pending = false;
  let resolveCurrent: (() => void) | undefined;
  return {
    wake() {
      if (resolveCurrent) resolveCurrent();
      else pending = true;
    },
    next(ms, signal) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolveCurrent = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
        resolveCurrent = done;
      });
    },
  };
}
