import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { StackError } from './errors.ts';
import { isAlive, ownedPid, spawnDetached, stopProcess, tail } from './processes.ts';

export interface RedisServerOptions {
  dir: string;
  host: string;
  port: number;
  readyTimeoutMs: number;
}

const paths = (dir: string) => ({
  data: join(dir, 'data'),
  log: join(dir, 'redis.log'),
  pid: join(dir, 'redis.pid'),
});

export function runningRedisPid(dir: string): number | undefined {
  return ownedPid(paths(dir).pid, dir);
}

/**
 * Starts the machine's redis-server on loopback. `noeviction` because BullMQ's queues must
 * never lose keys to memory pressure; append-only persistence so pending retries survive a
 * restart of Redis too.
 */
export async function startRedisServer(options: RedisServerOptions): Promise<number> {
  const file = paths(options.dir);
  assertRedisInstalled();
  mkdirSync(file.data, { recursive: true });
  if (existsSync(file.log)) renameSync(file.log, `${file.log}.1`);
  const pid = spawnDetached(
    'redis-server',
    [
      '--bind',
      options.host,
      '--port',
      String(options.port),
      '--dir',
      file.data,
      '--daemonize',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
    ],
    { cwd: options.dir, logFile: file.log, pidFile: file.pid },
  );
  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new StackError(
        `redis-server exited while starting; last lines of ${file.log}:\n${tail(file.log)}`,
      );
    }
    if (await redisAnswers(`redis://${options.host}:${options.port}`)) return pid;
    await sleep(100);
  }
  await stopProcess(pid, 5_000);
  throw new StackError(
    `redis-server did not answer PING within ${options.readyTimeoutMs / 1000} s`,
  );
}

export async function stopRedisServer(dir: string): Promise<boolean> {
  const pid = runningRedisPid(dir);
  if (pid === undefined) return false;
  await stopProcess(pid, 10_000);
  return true;
}

/** PING answered with PONG within the timeout. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** The eviction policy of a Redis we did not start; BullMQ needs `noeviction`. */
export async function redisEvictionPolicy(url: string): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const [, policy] = (await client.config('GET', 'maxmemory-policy')) as [string, string];
    return policy;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

function assertRedisInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new StackError(
      'redis-server is not installed: run ./pnpmw (the bootstrap installs it) or sudo apt-get install redis-server',
    );
  }
}
