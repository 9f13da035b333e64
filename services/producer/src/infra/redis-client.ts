import type { RedisTlsOptions } from '@kafka-ecs/service-kit';
import { Redis } from 'ioredis';

/**
 * A Redis client that fails fast: while disconnected a command is refused at once instead of
 * queued, and a slow one times out, so a mutation answers SERVICE_UNAVAILABLE in bounded time.
 * It keeps reconnecting in the background, so the service recovers by itself. `tls` carries a
 * private CA for a rediss:// URL (redisTlsOptions); credentials stay in the URL.
 */
export function createRedisClient(url: string, tls: RedisTlsOptions = {}): Redis {
  return new Redis(url, {
    ...tls,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
