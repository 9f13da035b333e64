import { Cluster, type Redis } from 'ioredis';

/** A single Redis, or a Redis Cluster (`REDIS_CLUSTER`): the retry machinery runs on both. */
export type RedisClient = Redis | Cluster;

/**
 * `name` as one hash tag on a cluster, where a multi-key script or MULTI must stay in one slot
 * (BullMQ's scripts, the dead letters' index); unchanged on a single Redis, so the keys of a
 * deployment that runs there keep their names and nothing is orphaned (a move from a single
 * Redis to a cluster copies its keys anyway).
 */
export const slotTag = (redis: RedisClient, name: string): string =>
  redis instanceof Cluster ? `{${name}}` : name;

/** Longest a batch waits for its writes to reach the replicas (REDIS_WAIT_REPLICAS). */
export const REPLICA_WAIT_MS = 1_000;

/**
 * Redis `WAIT` on every master: what each connection of `redis` wrote so far is on `replicas`
 * replicas, or this throws, naming `what` and the master, so the caller holds its batch (applying
 * it again is safe) rather than commit writes a failover could still lose (replication is
 * asynchronous). A connection that wrote nothing answers at once; 0 replicas asks nothing.
 */
export async function waitForReplicas(
  redis: RedisClient,
  replicas: number,
  what: string,
): Promise<void> {
  if (replicas === 0) return;
  const masters = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const acks = await Promise.all(masters.map((node) => node.wait(replicas, REPLICA_WAIT_MS)));
  const short = acks.findIndex((count) => count < replicas);
  const master = masters[short];
  if (master) {
    const { host, port } = master.options;
    throw new Error(
      `${what} on ${host}:${port} reached ${acks[short]} of ${replicas} replica(s) within ${REPLICA_WAIT_MS} ms (REDIS_WAIT_REPLICAS)`,
    );
  }
}
