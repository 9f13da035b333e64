import { redisReady } from '@kafka-ecs/service-kit';
import { freePort, testInfrastructure } from '@kafka-ecs/testing';
import { Cluster } from 'ioredis';
import { createCommandRedis } from '../src/infra/redis-client.ts';
import { onRedisCluster } from './support/harness.ts';

// The bound on the consumer's Redis commands during an outage, on both kinds of Redis
// (REDIS_CLUSTER false and true), with nothing answering at the URL.
describe.each([
  ['a single Redis', false],
  ['a Redis Cluster', true],
])("the consumer's command connection to %s", (_name, cluster) => {
  it('when nothing answers, then a start gives up after its bound without naming the address, and a command fails instead of waiting', async () => {
    const redis = createCommandRedis({
      url: `redis://reader:s3cret@127.0.0.1:${await freePort()}`,
      cluster,
    });
    redis.on('error', () => {});
    try {
      expect(redis instanceof Cluster).toBe(cluster);
      const error = await redisReady(redis, 1_000).then(
        () => new Error('ready'),
        (reason: Error) => reason,
      );
      expect(error.message).toMatch(/^Redis not ready within 1000 ms \(status: \w+\)$/);
      // A single Redis queues it until maxRetriesPerRequest gives up; a cluster refuses it at
      // once, its own queue being off (that queue has no timeout).
      await expect(redis.get('any-key')).rejects.toThrow(
        cluster ? /enableOfflineQueue options is false/ : /max retries per request/i,
      );
    } finally {
      redis.disconnect();
    }
  });
});

it("when the run's Redis answers, then the start's wait ends and the connection takes commands", async () => {
  const redis = createCommandRedis({ url: testInfrastructure().redisUrl, cluster: onRedisCluster });
  try {
    await redisReady(redis, 10_000);
    expect(redis.status).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
    // Already ready: answers at once.
    await redisReady(redis, 0);
  } finally {
    redis.disconnect();
  }
});
