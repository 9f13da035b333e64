import { startTestRedisServers, type TestRedisServers } from '@kafka-ecs/devstack';
import { waitFor } from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
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
    await expect(waitForReplicas(client, 1, 'the write')).resolves.toBeUndefined();
    await expect(waitForReplicas(client, 1, 'the write', { writtenOn })).rejects.toThrow(
      /^the write: the connection to Redis changed since the writes \(REDIS_WAIT_REPLICAS\)$/,
    );
  });
});
