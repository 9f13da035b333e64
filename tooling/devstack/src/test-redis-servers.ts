import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@kafka-ecs/testing';
import { withProbeClient } from './redis-probe.ts';
import { startRedisServer, stopRedisServer } from './redis-server.ts';

export interface TestRedisServers<Name extends string> {
  /** Each server's loopback port, by the name it was started under. */
  ports: Record<Name, number>;
  /** Makes `replica` follow the Redis on `primaryPort` (a server's or a proxy's) until linked. */
  replicate(replica: Name, primaryPort: number): Promise<void>;
  /** Whether `replica`'s link to its primary is up now. */
  linked(replica: Name): Promise<boolean>;
  /** Stops every server and removes their folders. */
  stop(): Promise<void>;
}

/**
 * Redis servers of a test's own on loopback (a free port and a temporary folder each), for what
 * the stack's one Redis cannot show: a replica, a failover.
 */
export async function startTestRedisServers<Name extends string>(
  names: readonly Name[],
): Promise<TestRedisServers<Name>> {
  const root = mkdtempSync(join(tmpdir(), 'kafka-ecs-redis-'));
  const dir = (name: Name) => join(root, name);
  const ports = {} as Record<Name, number>;
  const stop = async () => {
    await Promise.all(names.map((name) => stopRedisServer(dir(name))));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (const name of names) {
      ports[name] = await freePort();
      await startRedisServer({
        dir: dir(name),
        host: '127.0.0.1',
        port: ports[name],
        readyTimeoutMs: 10_000,
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const url = (name: Name) => `redis://127.0.0.1:${ports[name]}`;
  const linked = (replica: Name) =>
    withProbeClient(url(replica), { timeoutMs: 2_000 }, async (client) =>
      (await client.info('replication')).includes('master_link_status:up'),
    );
  return {
    ports,
    linked,
    async replicate(replica, primaryPort) {
      await withProbeClient(url(replica), { timeoutMs: 2_000 }, (client) =>
        client.replicaof('127.0.0.1', primaryPort),
      );
      await waitFor(() => linked(replica), {
        timeoutMs: 10_000,
        description: `${replica} replicating the Redis on port ${primaryPort}`,
      });
    },
    stop,
  };
}
