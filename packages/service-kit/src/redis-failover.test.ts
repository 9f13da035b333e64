import { startTestRedisServers, type TestRedisServers } from '@kafka-ecs/devstack';
import { startTcpProxy, type TcpProxy, waitFor } from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import { createRedisConnection, type RedisClient } from './redis-connection.ts';

/**
 * A failover as a client of ElastiCache's primary endpoint meets it: two real redis-servers, the
 * old primary demoted to a replica of the new one, and a proxy standing for the endpoint's DNS
 * name, which moves to the new primary while connections already open stay where they are.
 */
describe('a single Redis client across a failover', () => {
  let servers: TestRedisServers<'demoted' | 'promoted'>;
  let endpoint: TcpProxy;
  let client: RedisClient;

  beforeAll(async () => {
    servers = await startTestRedisServers(['promoted', 'demoted']);
    await servers.replicate('demoted', servers.ports.promoted);
    endpoint = await startTcpProxy({ target: { host: '127.0.0.1', port: servers.ports.demoted } });
  }, 30_000);

  afterAll(async () => {
    client?.disconnect();
    await endpoint?.close();
    await servers?.stop();
  });

  it('when its connection is left on the demoted primary, then the first write fails READONLY and the client reconnects to where the endpoint now points, so writes work again', async () => {
    client = createRedisConnection({ url: `redis://127.0.0.1:${endpoint.port}`, cluster: false });
    client.on('error', () => {});
    await waitFor(() => client.status === 'ready', { timeoutMs: 5_000, description: 'connected' });

    await expect(client.set('failover-key', 'first')).rejects.toThrow(/^READONLY/);
    endpoint.retarget({ host: '127.0.0.1', port: servers.ports.promoted });

    // Before, the connection stayed on the replica and every write kept failing READONLY.
    await waitFor(
      async () => (await client.set('failover-key', 'second').catch(() => null)) === 'OK',
      {
        timeoutMs: 10_000,
        description: 'a write accepted by the new primary',
      },
    );
    const promoted = new Redis({ port: servers.ports.promoted, lazyConnect: true });
    try {
      expect(await promoted.get('failover-key')).toBe('second');
    } finally {
      promoted.disconnect();
    }
  });
});
