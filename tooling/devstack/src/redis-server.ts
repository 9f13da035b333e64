import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisOptions } from 'ioredis';
import { StackError } from './errors.ts';
import { isAlive, ownedPid, spawnDetached, stopProcess, tail } from './processes.ts';
import { withProbeClient } from './redis-probe.ts';

export interface RedisServerOptions {
  dir: string;
  host: string;
  port: number;
  readyTimeoutMs: number;
  /**
   * TLS only on `port` (`port 0`, `tls-port`), no client certificates; with `user`, the one
   * account that may log in (the default user is off). The secure stack's.
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
  user?: { username: string; password: string };
  /**
   * A node of a Redis Cluster (`cluster-enabled`, its `nodes.conf` in the data folder, its
   * cluster bus on `port` + 10000), which its peers declare failed after `nodeTimeoutMs` without
   * an answer. The Redis Cluster's.
   */
  cluster?: { nodeTimeoutMs: number };
}

const paths = (dir: string) => ({
  data: join(dir, 'data'),
  log: join(dir, 'redis.log'),
  pid: join(dir, 'redis.pid'),
  config: join(dir, 'redis.conf'),
});

/** Where the server of `dir` keeps its data (its append-only file). */
export const redisDataDir = (dir: string): string => paths(dir).data;

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
  const { tls, user, cluster } = options;
  if (user) {
    // The password goes in a 0600 file, not on the command line, where `ps` shows it.
    const users = `user default off\nuser ${user.username} on >${user.password} ~* &* +@all\n`;
    writeFileSync(file.config, users, { mode: 0o600 });
    chmodSync(file.config, 0o600);
  }
  const pid = spawnDetached(
    'redis-server',
    [
      ...(user ? [file.config] : []),
      '--bind',
      options.host,
      ...(tls
        ? ['--port', '0', '--tls-port', String(options.port)]
            .concat(['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile])
            .concat(['--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no'])
        : ['--port', String(options.port)]),
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
      // A cluster node starts a replica's full sync at once, not after waiting 5 s for more
      // replicas to share it: a replica that joins, or comes back after a failover, is in sync
      // in well under a second.
      ...(cluster
        ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']
            .concat(['--cluster-node-timeout', String(cluster.nodeTimeoutMs)])
            .concat(['--repl-diskless-sync-delay', '0'])
        : []),
    ],
    { cwd: options.dir, logFile: file.log, pidFile: file.pid },
  );
  const credentials = user ? `${user.username}:${user.password}@` : '';
  const probe = tls
    ? {
        url: `rediss://${credentials}${options.host}:${options.port}`,
        tls: { ca: readFileSync(tls.caFile, 'utf8') },
      }
    : { url: `redis://${credentials}${options.host}:${options.port}`, tls: undefined };
  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new StackError(
        `redis-server exited while starting; last lines of ${file.log}:\n${tail(file.log)}`,
      );
    }
    if (await redisAnswers(probe.url, 1_000, probe.tls)) return pid;
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

/** PING answered with PONG within the timeout (`tls`: ioredis's option, for a private CA). */
export async function redisAnswers(
  url: string,
  timeoutMs = 1_000,
  tls?: RedisOptions['tls'],
): Promise<boolean> {
  try {
    return await withProbeClient(url, { timeoutMs, tls }, async (client) => {
      return (await client.ping()) === 'PONG';
    });
  } catch {
    return false;
  }
}

/** The eviction policy of a Redis we did not start; BullMQ needs `noeviction`. */
export async function redisEvictionPolicy(url: string): Promise<string | undefined> {
  try {
    return await withProbeClient(url, { timeoutMs: 1_000 }, async (client) => {
      const [, policy] = (await client.config('GET', 'maxmemory-policy')) as [string, string];
      return policy;
    });
  } catch {
    return undefined;
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
