/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis-connection.ts';

/** Longest a write waits to reach the replicas (REDIS_WAIT_REPLICAS). */
export const REPLICA_WAIT_MS = 1_000;

/**
 * Redis `WAIT` on every master: what each connection of `redis` wrote so far is on `replicas`
 * replicas, or this throws, naming `what` and the master, so the caller does not count as done
 * (commit a batch's offsets, confirm a user) writes a failover could still lose (replication is
 * asynchronous). On a cluster the masters are those of its slot table; one that is not connected
 * (lost since it took the writes, its slots not yet moved) throws too, and so does a master with
 * too few replicas, such as a promoted one until a replica has joined it. A connection that wrote
 * nothing answers at once; 0 replicas asks nothing. WAIT holds the connection it is sent on until
 * it answers (up to REPLICA_WAIT_MS when a replica is missing): every command queued behind it
 * waits too.
 */
export async function waitForReplicas(
  redis: RedisClient,
  replicas: number,
  what: string,
  options: {
    /** writeConnection(redis) from before the writes: a WAIT over another one proves nothing. */
    writtenOn: WriteConnection;
    /** Only the master of this key's slot, where a caller wrote to one slot. */
    key?: string;
  },
): Promise<void> {
  if (replicas === 0) return;
  const masters = redis instanceof Cluster ? slotMasters(redis, what, options.key) : [redis];
  const { writtenOn } = options;
  const carried = () =>
    redis instanceof Cluster
      ? masters.every((master) => writtenOn.masters?.has(master))
      : redis.status === 'ready' && connections(redis).count === writtenOn.connection;
  if (!carried()) throw reconnected(what);
  const acks = await Promise.all(masters.map((node) => node.wait(replicas, REPLICA_WAIT_MS)));
  // A WAIT sent again on a new connection (ioredis re-sends what was in flight) answered for it.
  if (!carried()) throw reconnected(what);
  const short = acks.findIndex((count) => count < replicas);
  const master = masters[short];
  if (master) {
    throw new Error(
      `${what} on ${nodeKey(master)} reached ${acks[short]} of ${replicas} replica(s) within ${REPLICA_WAIT_MS} ms (REDIS_WAIT_REPLICAS)`,
    );
  }
}

/** The connection a client's writes go over, as writeConnection saw it. */
export interface WriteConnection {
  /** A single Redis: which of the client's connections (its count of `ready`s). */
  readonly connection?: number;
  /** A cluster: its master node clients. */
  readonly masters?: ReadonlySet<Redis>;
}

/**
 * What `redis`'s next writes go over, for waitForReplicas to check that its WAIT goes over the
 * same connection: Redis counts a WAIT against what its own connection wrote, so after a
 * reconnect it would count nothing and confirm writes it never covered. A single Redis client's
 * connections are counted by their `ready`; one not connected yet queues its writes for the next
 * (a client without an offline queue refuses them). A cluster's node clients never reconnect: a
 * dropped one is replaced by a new client for the same address.
 */
export function writeConnection(redis: RedisClient): WriteConnection {
  if (redis instanceof Cluster) return { masters: new Set(redis.nodes('master')) };
  return { connection: connections(redis).count + (redis.status === 'ready' ? 0 : 1) };
}

const counted = new WeakMap<Redis, { count: number }>();

/** The client's connections so far, counted from the first call on (the current one is 0). */
function connections(redis: Redis): { count: number } {
  let seen = counted.get(redis);
  if (!seen) {
    const counter = { count: 0 };
    redis.on('ready', () => {
      counter.count++;
    });
    counted.set(redis, counter);
    seen = counter;
  }
  return seen;
}

const reconnected = (what: string) =>
  new Error(`${what}: the connection to Redis changed since the writes (REDIS_WAIT_REPLICAS)`);

const nodeKey = (node: Redis) => `${node.options.host}:${node.options.port}`;

/**
 * The connected master of every slot owner in the cluster's slot table (of `key`'s slot alone,
 * with a key); throws if one is not.
 */
function slotMasters(cluster: Cluster, what: string, key?: string): Redis[] {
  const connected = new Map(cluster.nodes('master').map((node) => [nodeKey(node), node]));
  const owners = new Set<string>();
  // ioredis gives every slot of a range the same array: look at each range once.
  let previous: string[] | undefined;
  for (const slot of key === undefined ? cluster.slots : [cluster.slots[calculateSlot(key)]]) {
    if (slot === previous) continue;
    previous = slot;
    if (slot?.[0]) owners.add(slot[0]);
  }
  if (owners.size === 0)
    throw new Error(`${what}: the Redis Cluster's slot table is not known yet`);
  return [...owners].map((owner) => {
    const node = connected.get(owner);
    if (!node) {
      throw new Error(`${what}: the master ${owner} is not connected (REDIS_WAIT_REPLICAS)`);
    }
    return node;
  });
}
