/** A client that lists keys: a single Redis (ioredis `Redis`). */
interface KeyLister {
  keys(pattern: string): Promise<string[]>;
}

/** A client that lists and deletes keys, single or cluster. */
type KeyKeeper = (KeyLister | ClusterKeyLister) & { del(key: string): Promise<number> };

/** A Redis Cluster client (ioredis `Cluster`): KEYS on it asks one node only. */
interface ClusterKeyLister extends KeyLister {
  nodes(role: 'master'): KeyLister[];
}

/**
 * The keys matching `pattern`, sorted, on a single Redis or on every master of a cluster. Typed
 * by shape, so this package needs no Redis client of its own.
 */
export async function keysOnEveryMaster(
  redis: KeyLister | ClusterKeyLister,
  pattern: string,
): Promise<string[]> {
  const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
  return (await Promise.all(nodes.map((node) => node.keys(pattern)))).flat().sort();
}

/** Deletes the keys matching `pattern`, one DEL each: on a Cluster one DEL takes one slot. */
export async function deleteKeys(redis: KeyKeeper, pattern: string): Promise<void> {
  await Promise.all((await keysOnEveryMaster(redis, pattern)).map((key) => redis.del(key)));
}
