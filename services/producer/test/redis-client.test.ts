import { freePort, waitFor } from '@kafka-ecs/testing';
import { Cluster } from 'ioredis';
import { createRedisClient } from '../src/infra/redis-client.ts';

// The client's fail-fast promise on both kinds of Redis (REDIS_CLUSTER false and true), with
// nothing answering at the URL: on a cluster it rests on ioredis' cluster-level options.

describe.each([
  ['a single Redis', false],
  ['a Redis Cluster', true],
])('the Redis client for %s', (_name, cluster) => {
  it('when nothing answers, then every command is refused at once and the client keeps reconnecting', async () => {
    const redis = createRedisClient({ url: `redis://127.0.0.1:${await freePort()}`, cluster });
    redis.on('error', () => {});
    let reconnects = 0;
    redis.on('reconnecting', () => {
      reconnects++;
    });
    try {
      expect(redis instanceof Cluster).toBe(cluster);
      for (const seen of [1, 2, 3]) {
        await waitFor(() => reconnects >= seen, {
          timeoutMs: 5_000,
          description: `reconnect ${seen}`,
        });
        // Refused by the offline queue being off, which answers at once: not a timeout.
        await expect(redis.get('any-key')).rejects.toThrow(/enableOfflineQueue options is false/);
      }
    } finally {
      redis.disconnect();
    }
  });
});
