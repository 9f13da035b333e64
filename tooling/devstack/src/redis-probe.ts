import { Redis, type RedisOptions } from 'ioredis';

/**
 * Runs `task` on a fresh connection to `url` that fails at once instead of reconnecting or
 * queueing, so a probe answers within its bound whatever the server does; the connection is
 * closed afterwards. Rejects when the server cannot be reached or the task fails.
 */
export async function withProbeClient<T>(
  url: string,
  options: { timeoutMs: number; tls?: RedisOptions['tls'] },
  task: (client: Redis) => Promise<T>,
): Promise<T> {
  const client = new Redis(url, {
    ...(options.tls ? { tls: options.tls } : {}),
    lazyConnect: true,
    connectTimeout: options.timeoutMs,
    commandTimeout: options.timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await task(client);
  } finally {
    // Not once it has ended (a refused connection): its socket closed already, so ioredis'
    // disconnect would wait for a close that never comes, keeping the process up for 2 s.
    if (client.status !== 'end') client.disconnect();
  }
}
