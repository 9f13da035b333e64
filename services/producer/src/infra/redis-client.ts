import {
  createRedisConnection,
  type RedisClient,
  type RedisConnectionSettings,
} from '@kafka-ecs/service-kit';

/**
 * A Redis client that fails fast: while disconnected a command is refused at once instead of
 * queued, and a slow one times out, so a mutation answers SERVICE_UNAVAILABLE in bounded time.
 * It keeps reconnecting in the background, so the service recovers by itself. `ca` is a private
 * CA for a rediss:// URL; credentials stay in the URL.
 *
 * On a cluster (REDIS_CLUSTER) the same holds by ioredis' cluster-level options: the factory
 * sets `enableOfflineQueue: false` on the Cluster (a node's own queue is always on), so a command
 * is refused while the cluster is not ready or its slot's node is disconnected; the Cluster
 * reconnects forever under its default `clusterRetryStrategy` (at most 2 s apart), while
 * `retryStrategy` is ignored for its nodes, which it replaces on a slots refresh instead. A command
 * whose node drops while the cluster is ready is retried every 100 ms (`retryDelayOnFailover`)
 * up to `maxRedirections` (16): about 1.6 s, still within the bound.
 */
/** Each command's bound: a user's commit attempt waits this long at most (user-commits.ts). */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export function createRedisClient(settings: RedisConnectionSettings): RedisClient {
  return createRedisConnection(settings, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
