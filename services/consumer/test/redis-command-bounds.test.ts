import { redisClusterStatus, redisClusterUp } from '@kafka-ecs/devstack';
import { createRedisConnection, redisReady } from '@kafka-ecs/service-kit';
import {
  startTcpProxy,
  type TcpProxy,
  testInfrastructure,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';
import type { Cluster } from 'ioredis';
import { COMMAND_REDIS_OPTIONS } from '../src/infra/notification-subscriber.ts';

// The consumer's command connection, as createRedisConnection makes it, on the run's Redis and
// on a real Redis Cluster (three masters, one replica each, started as `pnpm stack:up
// --redis-cluster` starts it), with TCP proxies in front to play the outages. ioredis would keep
// a command its timeout ended and send it later, although its caller was told it failed.

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
    // Reconnecting can outlast the 300 ms bound on a loaded machine: the barrier is tried again
    // until it goes through (a try that timed out is never sent, as the test above shows).
    await waitFor(() => client.set(`${key}:after`, 'sent once the node was back'), {
      description: 'a command through the node once it was back',
    });

    expect(await client.get(key)).toBe('1');
    await client.del(key, `${key}:after`);
  });

  it('when a command times out on a cluster node whose connection is still opening, then it is not run once that node is ready', async () => {
    await redisReady(client, 10_000);
    // A master no command went to yet: ioredis opens its connection for the first one.
    const idle = client.nodes('master').find((node) => node.status === 'wait');
    const open = client.nodes('all').find((node) => node.status === 'ready');
    if (!idle || !open) throw new Error('no master left unconnected, or none connected');
    const proxy = [...proxies.values()].find((p) => p.port === idle.options.port);
    if (!proxy) throw new Error(`no proxy for port ${idle.options.port}`);
    // A key of that master's slots, asked of a node already connected.
    let key = '';
    for (let i = 0; !key; i++) {
      const candidate = `{${uniqueName('bounds')}-${i}}`;
      const slot = Number(await open.call('CLUSTER', 'KEYSLOT', candidate));
      if (client.slots[slot]?.[0] === proxy.address) key = candidate;
    }
    // Its first command (CLIENT SETINFO) goes through and its answer, and every later one, is
    // kept back: the connection stays short of ready until `release`.
    const checking = proxy.holdAnswersAfter('setinfo', 5_000);
    const incr = client.incr(key);
    await checking;
    await expect(incr).rejects.toThrow('Command timed out');

    proxy.release();
    await waitFor(() => idle.status === 'ready', {
      timeoutMs: 5_000,
      description: "the node's connection ready",
    });
    await client.set(`${key}:after`, 'sent once the node was ready');
    expect(await client.get(key)).toBeNull();
    await client.del(`${key}:after`);
  });
});

describe('a command connection whose Redis takes long to become ready', () => {
  it('when a command times out on a single Redis still being connected to, then it is not run once the connection is ready', async () => {
    const redisUrl = new URL(testInfrastructure().redisUrl);
    const proxy = await startTcpProxy({
      target: { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) },
    });
    // ioredis' first command on a connection, CLIENT SETINFO, goes through and its answer (and
    // every later one) is kept back; the ready check (INFO) waits for it, so the client stays
    // connecting until `release`.
    const checking = proxy.holdAnswersAfter('setinfo', 5_000);
    const redis = createRedisConnection(
      { url: `redis://${proxy.address}`, cluster: false },
      { ...COMMAND_REDIS_OPTIONS, commandTimeout: 300 },
    );
    redis.on('error', () => {});
    try {
      await checking;
      const key = uniqueName('bounds');
      await expect(redis.incr(key)).rejects.toThrow('Command timed out');

      proxy.release();
      await redisReady(redis, 5_000);
      expect(await redis.get(key)).toBeNull();
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  });
});
