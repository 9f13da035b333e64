import { redisClusterUp, startTestRedisServers, type TestRedisServers } from '@kafka-ecs/devstack';
import { uniqueName, waitFor } from '@kafka-ecs/testing';
import { type Cluster, Redis } from 'ioredis';
import { createRedisConnection, type RedisClient } from './redis-connection.ts';
import { waitForReplicas, writeConnection } from './redis-replicas.ts';

/** WAIT for replicas against a real primary and replica of the test's own. */
describe('waitForReplicas on a single Redis with a replica', () => {
  let servers: TestRedisServers<'primary' | 'replica'>;
  let client: RedisClient;

  beforeAll(async () => {
    servers = await startTestRedisServers(['primary', 'replica']);
    await servers.replicate('replica', servers.ports.primary);
    client = createRedisConnection({
      url: `redis://127.0.0.1:${servers.ports.primary}`,
      cluster: false,
    });
    client.on('error', () => {});
    await waitFor(() => client.status === 'ready', { timeoutMs: 5_000, description: 'ready' });
  }, 30_000);

  afterAll(async () => {
    client?.disconnect();
    await servers?.stop();
  });

  it('when the writes and the WAIT share a connection, then it resolves once the replica holds them', async () => {
    const writtenOn = writeConnection(client);
    await client.set('replicated-key', 'one');

    await waitForReplicas(client, 1, 'the write', { writtenOn });

    const replica = new Redis({ port: servers.ports.replica });
    try {
      expect(await replica.get('replicated-key')).toBe('one');
    } finally {
      replica.disconnect();
    }
  });

  it('when the connection changed between the writes and the WAIT, then it refuses what a WAIT alone would confirm', async () => {
    const writtenOn = writeConnection(client);
    await client.set('replicated-key', 'two');
    let reconnected = false;
    client.once('ready', () => {
      reconnected = true;
    });
    client.disconnect(true);
    await waitFor(() => reconnected, { timeoutMs: 5_000, description: 'connected again' });

    // The new connection wrote nothing: its WAIT confirms at once, whatever became of the write.
    expect(await (client as Redis).wait(1, 1_000)).toBe(1);
    await expect(waitForReplicas(client, 1, 'the write', { writtenOn })).rejects.toThrow(
      /^the write: the connection to Redis changed since the writes \(REDIS_WAIT_REPLICAS\)$/,
    );
  });
});

/** The same on the local Redis Cluster (`pnpm stack:up --redis-cluster`): a master per slot range. */
describe('waitForReplicas on a Redis Cluster', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    const { redisUrl } = await redisClusterUp({ log: () => {} });
    cluster = createRedisConnection({ url: redisUrl, cluster: true }) as Cluster;
    cluster.on('error', () => {});
    await waitFor(() => cluster.status === 'ready', { timeoutMs: 10_000, description: 'ready' });
  }, 60_000);

  afterAll(() => {
    cluster?.disconnect();
  });

  it("when the slot's master client was replaced between the writes and the WAIT, then it refuses what that client's WAIT would confirm", async () => {
    const key = `{${uniqueName('replicas')}}:key`;
    await cluster.set(key, 'one');
    const writtenOn = writeConnection(cluster);
    await waitForReplicas(cluster, 1, 'the write', { writtenOn, key });

    // A dropped node client is replaced by a new one for the same address, which wrote nothing.
    const owner = cluster.slots[Number(await cluster.cluster('KEYSLOT', key))]?.[0];
    const master = () => cluster.nodes('master').find((node) => nodeAddress(node) === owner);
    const dropped = master();
    dropped?.disconnect();
    await waitFor(
      async () =>
        (await cluster.get(key).catch(() => null)) === 'one' &&
        master() !== undefined &&
        master() !== dropped,
      { timeoutMs: 10_000, description: 'a new client for the master' },
    );

    expect(await master()?.wait(1, 1_000)).toBe(1);
    await expect(waitForReplicas(cluster, 1, 'the write', { writtenOn, key })).rejects.toThrow(
      /^the write: the connection to Redis changed since the writes \(REDIS_WAIT_REPLICAS\)$/,
    );
    await cluster.del(key);
  });
});

const nodeAddress = (node: Redis) => `${node.options.host}:${node.options.port}`;
