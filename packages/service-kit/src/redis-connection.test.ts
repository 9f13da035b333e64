import { createRedisConnection, type RedisClient, redisReady } from './redis-connection.ts';

// Nothing listens on port 1 of the loopback: every connect is refused at once.
const UNREACHABLE = 'redis://user:not-to-be-shown@127.0.0.1:1';

describe('createRedisConnection and redisReady, with no Redis to reach', () => {
  const clients: RedisClient[] = [];
  const client = (cluster: boolean, commandTimeout?: number) => {
    const created = createRedisConnection({ url: UNREACHABLE, cluster }, { commandTimeout });
    created.on('error', () => {});
    clients.push(created);
    return created;
  };
  afterEach(() => {
    for (const created of clients.splice(0)) created.disconnect();
  });

  it.each([
    ['a single Redis', false],
    ['a cluster', true],
  ])(
    'when %s cannot be reached, then a command fails once its commandTimeout passes',
    async (_, cluster) => {
      await expect(client(cluster, 200).get('key')).rejects.toThrow('Command timed out');
    },
  );

  it('when a cluster connection is duplicated (BullMQ does), then the copy keeps the bound', async () => {
    const copy = client(true, 200).duplicate();
    copy.on('error', () => {});
    clients.push(copy);
    await expect(copy.get('key')).rejects.toThrow('Command timed out');
  });

  it.each([
    ['a single Redis', false],
    ['a cluster', true],
  ])(
    'when %s cannot be reached, then redisReady rejects in time with the reason',
    async (_, cluster) => {
      const error = await redisReady(client(cluster), 300).then(
        () => new Error('redisReady resolved'),
        (rejected: unknown) => rejected as Error,
      );
      expect(error.name).toBe('RedisNotReadyError');
      expect(error.message).toMatch(
        /^Redis (at 127\.0\.0\.1:1 )?not ready after 300 ms \(status \w+; last errors: .*127\.0\.0\.1:1/,
      );
      expect(error.message).not.toContain('not-to-be-shown');
    },
  );

  it('when the client waits for its first command (lazyConnect), then redisReady connects it', async () => {
    const lazy = createRedisConnection({ url: UNREACHABLE, cluster: false }, { lazyConnect: true });
    lazy.on('error', () => {});
    clients.push(lazy);
    await expect(redisReady(lazy, 300)).rejects.toThrow(
      /status (connecting|reconnecting); last errors: connect ECONNREFUSED/,
    );
  });

  it('when the client is closed while waiting, then redisReady rejects at once', async () => {
    const closing = client(false);
    const ready = redisReady(closing, 60_000);
    closing.disconnect();
    await expect(ready).rejects.toThrow(
      /^Redis client at 127\.0\.0\.1:1 closed before it was ready/,
    );
  });
});
