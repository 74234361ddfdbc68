import { Redis } from 'ioredis';

/**
 * One ioredis connection. `maxRetriesPerRequest: null` is what BullMQ workers require (a blocked
 * BZPOPMIN must not error out during a Redis restart); queues use the same setting so a brief
 * Redis outage delays instead of failing ingest.
 */
export function createRedisConnection(url: string, name = 'asahi'): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    lazyConnect: false,
  });
}

export type { Redis };
