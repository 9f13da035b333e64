import { rmSync } from 'node:fs';
import { describeNode, redisClusterPids, redisClusterPorts } from './redis-cluster.ts';
import type { StackSettings } from './stack.ts';
import {
  redisClusterDir,
  redisClusterDown,
  redisClusterEnvFile,
  redisClusterStatus,
  redisClusterUp,
} from './stack-redis-cluster.ts';

// The CLI's `--redis-cluster` commands. `up` prints the env file's lines on stdout, as plain
// `up` prints its variables, so `set -a; eval "$(pnpm -s stack:up --redis-cluster)"; set +a`
// works as well as sourcing the file.

export async function redisClusterCommand(
  command: string,
  flags: string[],
  settings: StackSettings,
  log: (line: string) => void,
): Promise<number> {
  switch (command) {
    case 'up': {
      const started = Date.now();
      const cluster = await redisClusterUp({ settings, log });
      log(`redis cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(`REDIS_URL=${cluster.redisUrl}\nREDIS_CLUSTER=true`);
      return 0;
    }
    case 'down':
      await redisClusterDownCommand(settings, flags, log);
      return 0;
    case 'status':
      await printRedisClusterStatus(settings);
      return 0;
    default:
      return 2;
  }
}

/** Stops the Redis Cluster; with `--clean`, deletes its folder and env file. */
export async function redisClusterDownCommand(
  settings: StackSettings,
  flags: string[],
  log: (line: string) => void,
): Promise<void> {
  log(`redis cluster: ${(await redisClusterDown({ settings })) ? 'stopped' : 'was not running'}`);
  if (flags.includes('--clean')) {
    rmSync(redisClusterDir(settings), { recursive: true, force: true });
    rmSync(redisClusterEnvFile(settings), { force: true });
    log(`removed ${redisClusterDir(settings)} and ${redisClusterEnvFile(settings)}`);
  }
}

/** For plain `status`: one line, how many of the cluster's nodes run. */
export function printRedisClusterSummary(settings: StackSettings): void {
  const ports = redisClusterPorts(redisClusterDir(settings));
  const running = redisClusterPids(redisClusterDir(settings), ports).filter(
    (pid) => pid !== undefined,
  ).length;
  const state =
    ports.length === 0
      ? 'not created'
      : running === 0
        ? 'stopped'
        : `${running} of ${ports.length} nodes running (stack status --redis-cluster for each)`;
  console.log(`redis cluster  ${state}`);
}

/** One line a node: its address, role and cluster state as it tells them, and its process. */
export async function printRedisClusterStatus(settings: StackSettings): Promise<void> {
  const nodes = await redisClusterStatus({ settings });
  if (nodes.length === 0) console.log('redis cluster  not created');
  for (const node of nodes) {
    const state =
      node.pid === undefined ? 'stopped' : `${describeNode(node.view)}, running (pid ${node.pid})`;
    console.log(`redis cluster  ${node.address.padEnd(15)} ${state}`);
  }
}
