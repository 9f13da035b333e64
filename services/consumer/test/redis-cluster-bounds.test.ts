import { redisClusterStatus, redisClusterUp } from '@kafka-ecs/devstack';
import { createRedisConnection, redisReady } from '@kafka-ecs/service-kit';
import { startTcpProxy, type TcpProxy, uniqueName, waitFor } from '@kafka-ecs/testing';
import type { Cluster } from 'ioredis';
import { COMMAND_REDIS_OPTIONS } from '../src/infra/notification-subscriber.ts';

// The consumer's command connection on a real Redis Cluster (three masters, one replica each,
// started as `pnpm stack:up --redis-cluster` starts it) that no node of answers for a while,
// played by a TCP proxy in front of every node. ioredis' own Cluster would keep a command in its
// queue for the whole outage, and send it afterwards although its caller was told it failed.

let nodes: string[];
beforeAll(async () => {
  await redisClusterUp({ log: () => {} });
  nodes = (await redisClusterStatus()).map((node) => node.address);
}, 60_000);

describe('a cluster command connection whose cluster is unreachable', () => {
  const proxies = new Map<string, TcpProxy>();
  let client: Cluster;
  const cutAll = () => Promise.all([...proxies.values()].map((proxy) => proxy.cut()));
  const restoreAll = () => Promise.all([...proxies.values()].map((proxy) => proxy.restore()));

  beforeEach(async () => {
    for (const node of nodes) {
      const [host = '', port] = node.split(':');
      proxies.set(node, await startTcpProxy({ target: { host, port: Number(port) } }));
    }
    const first = proxies.get(nodes[0] ?? '');
    client = createRedisConnection(
      { url: `redis://${first?.address}`, cluster: true },
      { ...COMMAND_REDIS_OPTIONS, commandTimeout: 300 },
    ) as Cluster;
    // The nodes as the cluster announces them, reached through their proxies.
    client.options.natMap = Object.fromEntries(
      [...proxies].map(([node, proxy]) => [node, { host: '127.0.0.1', port: proxy.port }]),
    );
    client.on('error', () => {});
  });
  afterEach(async () => {
    client.disconnect();
    await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
    proxies.clear();
  });

  it('when a command is issued before the cluster was ever reached, then it fails after commandTimeout and is not run once the cluster answers', async () => {
    await cutAll();
    // One hash tag: both keys live on one node, whose connection runs commands in order.
    const key = `{${uniqueName('bounds')}}`;
    await expect(client.set(key, 'told it failed')).rejects.toThrow('Command timed out');

    await restoreAll();
    await redisReady(client, 10_000);
    await client.set(`${key}:after`, 'sent once the cluster was back');

    expect(await client.get(key)).toBeNull();
    expect(await client.get(`${key}:after`)).toBe('sent once the cluster was back');
    await client.del(key, `${key}:after`);
  });

  it('when the cluster goes away after it was ready, then a command and a MULTI fail after commandTimeout and neither is run once it is back', async () => {
    await redisReady(client, 10_000);
    await cutAll();
    // The client notices a node gone when a command needs it (its connections open lazily):
    // once every node's connection has ended, the cluster is down for it.
    await waitFor(
      () => {
        for (const slot of ['{a}', '{b}', '{c}']) client.get(slot).catch(() => {});
        return client.status !== 'ready';
      },
      {
        timeoutMs: 10_000,
        intervalMs: 100,
        description: 'the cluster client finding every node gone',
      },
    );
    const key = `{${uniqueName('bounds')}}`;
    await expect(client.set(`${key}:plain`, 'told it failed')).rejects.toThrow('Command timed out');
    await expect(client.multi().set(`${key}:multi`, 'told it failed').exec()).rejects.toThrow(
      'Command timed out',
    );

    await restoreAll();
    await redisReady(client, 10_000);
    await client.set(`${key}:after`, 'sent once the cluster was back');

    expect(await client.mget(`${key}:plain`, `${key}:multi`, `${key}:after`)).toEqual([
      null,
      null,
      'sent once the cluster was back',
    ]);
    await client.del(`${key}:after`);
  });

  it('when a command times out on its node and that connection then closes, then ioredis does not retry it as a failover', async () => {
    await redisReady(client, 10_000);
    const key = `{${uniqueName('bounds')}}`;
    const slot = Number(await client.cluster('KEYSLOT', key));
    // The client knows its nodes by their proxies' addresses (natMap).
    const node = [...proxies.values()].find((proxy) => proxy.address === client.slots[slot]?.[0]);
    if (!node) throw new Error(`no proxy for the node of slot ${slot}`);
    // The node runs the INCR; its answer is kept back past the bound.
    const held = node.holdAnswersAfter(key, 5_000);
    const incr = client.incr(key);
    await held;
    await expect(incr).rejects.toThrow('Command timed out');
    // Its connection closes with the INCR unanswered (ioredis' failover retry), and is back.
    await node.cut();
    node.release();
    await node.restore();
    await client.set(`${key}:after`, 'sent once the node was back');

    expect(await client.get(key)).toBe('1');
    await client.del(key, `${key}:after`);
  });
});
