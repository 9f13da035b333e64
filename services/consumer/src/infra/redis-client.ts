import {
  createRedisConnection,
  type RedisClient,
  type RedisConnectionSettings,
} from '@kafka-ecs/service-kit';
import type { RedisOptions } from 'ioredis';

/** How long a start waits for Redis to take commands before it fails (and ECS replaces it). */
export const REDIS_READY_TIMEOUT_MS = 30_000;

/**
 * The consumer's command connection (the view, its registry, the retry state): a command fails
 * within a bound during an outage, so the consumer holds its batch and retries, and a GraphQL
 * read answers with an error instead of hanging. On a single Redis `commandTimeout` bounds it,
 * queued or not. On a cluster ioredis starts that timer only when a node takes the command, and
 * the Cluster's own queue (while no node is reachable) has none, so the queue is off there: a
 * command is refused at once until the cluster is ready again. `compose.start` waits for that
 * first (`redisReady`). `extra` is for tests (a private CA).
 */
export function createCommandRedis(
  settings: RedisConnectionSettings,
  extra: RedisOptions = {},
): RedisClient {
  return createRedisConnection(settings, {
    maxRetriesPerRequest: 1,
    commandTimeout: 5_000,
    ...(settings.cluster ? { enableOfflineQueue: false } : {}),
    ...extra,
  });
}
