import { redisClusterUp } from '@kafka-ecs/devstack';
import { createRedisConnection, type RedisClient, redisReady } from '@kafka-ecs/service-kit';
import { startTcpProxy, type TcpProxy, uniqueName } from '@kafka-ecs/testing';
import { COMMAND_REDIS_OPTIONS } from '../src/infra/notification-subscriber.ts';

// The consumer's command connection on a real Redis Cluster (three masters, started as
// `pnpm stack:up --redis-cluster` starts it) that no node of answers for a while: ioredis' own
// Cluster would keep a command in its queue for the whole outage and send it afterwards.

let nodeUrl: URL;
beforeAll(async () => {
  nodeUrl = new URL((await redisClusterUp({ log: () => {} })).redisUrl);
}, 60_000);

describe('a cluster command connection whose cluster is unreachable', () => {
  let proxy: TcpProxy;
  let client: RedisClient;
  beforeEach(async () => {
    // The client's one startup node, down until `restore`; the others are found through it.
    proxy = await startTcpProxy({
      target: { host: nodeUrl.hostname, port: Number(nodeUrl.port) },
      listening: false,
    });
    client = createRedisConnection(
      { url: `redis://${proxy.address}`, cluster: true },
      { ...COMMAND_REDIS_OPTIONS, commandTimeout: 300 },
    );
    client.on('error', () => {});
  });
  afterEach(async () => {
    client.disconnect();
    await proxy.close();
  });

  it('when a command is issued, then it fails after commandTimeout and is not run once the cluster answers again', async () => {
    // One hash tag: both keys live on one node, whose connection runs commands in order.
    const key = `{${uniqueName('bounds')}}`;
    await expect(client.set(key, 'told it failed')).rejects.toThrow('Command timed out');

    await proxy.restore();
    await redisReady(client, 10_000);
    await client.set(`${key}:after`, 'sent once the cluster was back');

    expect(await client.get(key)).toBeNull();
    expect(await client.get(`${key}:after`)).toBe('sent once the cluster was back');
  });
});
