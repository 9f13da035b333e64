import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandResult, uniqueName } from '@kafka-ecs/testing';
import { Cluster, Redis } from 'ioredis';
import {
  isAlive,
  redisClusterDown,
  redisClusterEnvFile,
  redisClusterStatus,
  redisClusterUp,
  type StackSettings,
  stackSettings,
} from '../src/index.ts';
import { isListening } from '../src/processes.ts';
import { runStackCli } from './run-stack-cli.ts';

const HOST = '127.0.0.1';

/**
 * The first of six consecutive ports that are free, with their cluster bus ports (10000 higher).
 * All twelve lie between 20000 and 32767, below the kernel's ephemeral range, where no outgoing
 * connection can take one as its source port (see freePort).
 */
async function freeClusterPorts(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * 2_762);
    const ports = Array.from({ length: 6 }, (_, index) => [first + index, first + index + 10_000]);
    const taken = await Promise.all(ports.flat().map((port) => isListening(HOST, port, 500)));
    if (!taken.includes(true)) return first;
  }
  throw new Error('no six free ports (with their bus ports) in 50 tries');
}

describe('the Redis Cluster (stack up --redis-cluster)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let settings: StackSettings;
  let first: number;
  let up: CommandResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
    first = await freeClusterPorts();
    env = { ...process.env, STACK_DIR: dir, REDIS_CLUSTER_PORT: String(first) };
    settings = stackSettings(env);
    // Six redis-servers and redis-cli: 2-3 s quietly (a master says cluster_state:ok no sooner
    // than 2 s after its start), more with the CPU taken by other test runs.
    up = await runStackCli(['up', '--redis-cluster'], env, 60_000);
    expect({ code: up.code, stderr: up.code === 0 ? '' : up.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
  }, 90_000);

  afterAll(async () => {
    // Only with this test's folder in `settings`: without it, they would name the real stack.
    if (settings) await redisClusterDown({ settings });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('when it is up, then it prints REDIS_URL and REDIS_CLUSTER=true, and its env file holds the same two lines', () => {
    const lines = [`REDIS_URL=redis://${HOST}:${first}`, 'REDIS_CLUSTER=true'];
    expect(up.stdout.trim().split('\n')).toEqual(lines);
    expect(readFileSync(redisClusterEnvFile(settings), 'utf8')).toBe(`${lines.join('\n')}\n`);
  });

  it('when a cluster client writes keys whose slots belong to each of the three masters, then it reads them back from there', async () => {
    const cluster = new Cluster([{ host: HOST, port: first }], {
      redisOptions: { connectTimeout: 5_000, commandTimeout: 5_000 },
    });
    cluster.on('error', () => {});
    try {
      const shards = (await cluster.cluster('SLOTS')).map(([start, end, master]) => ({
        start,
        end,
        port: master?.[1],
      }));
      expect(new Set(shards.map((shard) => shard.port)).size).toBe(3);
      // One key per master: names tried in turn until each master's slot range has one.
      const prefix = uniqueName('redis-cluster');
      const keys = new Map<number | undefined, string>();
      for (let index = 0; keys.size < shards.length && index < 1_000; index++) {
        const key = `${prefix}:${index}`;
        const slot = await cluster.cluster('KEYSLOT', key);
        const shard = shards.find(({ start, end }) => start <= slot && slot <= end);
        if (shard && !keys.has(shard.port)) keys.set(shard.port, key);
      }
      expect(keys.size).toBe(3);
      for (const key of keys.values()) await cluster.set(key, `value of ${key}`, 'PX', 60_000);
      for (const [port, key] of keys) {
        expect(await cluster.get(key)).toBe(`value of ${key}`);
        // Asked of that master itself, not through the client's routing.
        const master = cluster.nodes('master').find((node) => node.options.port === port);
        expect(await master?.get(key)).toBe(`value of ${key}`);
      }
      // One DEL each: a command naming keys of several slots is refused in a cluster.
      await Promise.all([...keys.values()].map((key) => cluster.del(key)));
    } finally {
      cluster.disconnect();
    }
  });

  it('then three masters each have one in-sync replica, and no node evicts keys', async () => {
    const nodes = await redisClusterStatus({ settings });
    expect(nodes).toHaveLength(6);
    const masters = nodes.filter((node) => node.view?.role === 'master');
    const replicas = nodes.filter((node) => node.view?.role === 'replica');
    expect(masters.map((node) => node.view?.replicas.length)).toEqual([1, 1, 1]);
    expect(replicas.map((node) => node.view?.link)).toEqual([
      'connected',
      'connected',
      'connected',
    ]);
    expect(new Set(replicas.map((node) => node.view?.master))).toEqual(
      new Set(masters.map((node) => node.address)),
    );
    expect(nodes.map((node) => node.view?.clusterState)).toEqual(Array(6).fill('ok'));

    const policies = await Promise.all(
      nodes.map(async ({ address }) => {
        const node = new Redis(`redis://${address}`, { maxRetriesPerRequest: 1 });
        try {
          return await node.config('GET', 'maxmemory-policy');
        } finally {
          node.disconnect();
        }
      }),
    );
    expect(policies).toEqual(Array(6).fill(['maxmemory-policy', 'noeviction']));
  });

  it('when it is up again, then it starts nothing and every node keeps its process', async () => {
    const before = await redisClusterStatus({ settings });
    const again = await redisClusterUp({ settings, log: () => {} });
    expect(again).toMatchObject({ started: false, redisUrl: `redis://${HOST}:${first}` });
    expect((await redisClusterStatus({ settings })).map((node) => node.pid)).toEqual(
      before.map((node) => node.pid),
    );
  });

  it('when stack down --redis-cluster runs, then all six nodes are stopped', async () => {
    const pids = (await redisClusterStatus({ settings })).flatMap((node) =>
      node.pid === undefined ? [] : [node.pid],
    );
    expect(pids).toHaveLength(6);
    const down = await runStackCli(['down', '--redis-cluster'], env, 60_000);
    expect(down.code).toBe(0);
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    expect((await redisClusterStatus({ settings })).map((node) => node.pid)).toEqual(
      Array(6).fill(undefined),
    );
  });
});
