import { freePort, testInfrastructure, waitFor } from '@kafka-ecs/testing';
import { Cluster, type Redis } from 'ioredis';
import { createCreationsRedisClient, createRedisClient } from '../src/infra/redis-client.ts';

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

describe("the connection users' creations are written on", () => {
  it('when it drops while a command waits for its answer, then that command fails and is not sent again on the next connection', async () => {
    const url = testInfrastructure().redisUrl;
    const creations = createCreationsRedisClient({ url, cluster: false });
    const admin = createRedisClient({ url, cluster: false });
    for (const client of [creations, admin]) client.on('error', () => {});
    try {
      await waitFor(() => creations.status === 'ready' && admin.status === 'ready', {
        timeoutMs: 5_000,
        description: 'both connected',
      });
      const id = String(await creations.client('ID'));
      // The stack's Redis has no replica: a WAIT without a server bound blocks until its
      // connection goes (the client's 2 s bound still ends the command). Settled into a value
      // at once, so a failure before the end leaves no rejection unhandled.
      const waiting = creations.wait(1, 0).then(
        () => 'answered',
        (error: Error) => error,
      );
      await waitFor(
        async () => String(await admin.call('CLIENT', 'LIST', 'ID', id)).includes('cmd=wait'),
        { timeoutMs: 5_000, description: 'the WAIT blocked' },
      );
      let reconnected = false;
      creations.once('ready', () => {
        reconnected = true;
      });
      await admin.call('CLIENT', 'KILL', 'ID', id);
      await waitFor(() => reconnected, { timeoutMs: 5_000, description: 'connected again' });

      // Sent again, the WAIT would block on the new connection, counting what that one wrote
      // (nothing); instead it is dropped and fails at its bound. Only this client's new
      // connection is looked at: other suites WAIT on this Redis too.
      const port = (creations as Redis).stream.localPort;
      const mine = String(await admin.call('CLIENT', 'LIST'))
        .split('\n')
        .find((client) => client.includes(` addr=127.0.0.1:${port} `));
      expect(mine).toMatch(/ cmd=/);
      expect(mine).not.toMatch(/ cmd=wait /);
      expect(await waiting).toBeInstanceOf(Error);
    } finally {
      creations.disconnect();
      admin.disconnect();
    }
  });
});
