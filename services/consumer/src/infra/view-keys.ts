/** How many sorted sets hold one view's users index: spread over a cluster's slots, no hot key. */
export const USERS_INDEX_SHARDS = 16;

/**
 * Redis key layout of the read side. Everything lives under one prefix (one per deployment, one
 * per test, `VIEW_KEY_PREFIX`), and the view itself under `{prefix}:{view}`, so a replay can build
 * a fresh view next to the live one and readers switch by changing one pointer key.
 *
 * Each user is one hash: its view fields and its idempotency marks together, so a change and its
 * marks are written by one atomic script on one key, which a Redis Cluster keeps in one slot.
 */
export function viewKeys(prefix: string) {
  return {
    // The registry's keys share the hash tag `{registry}`, so its scripts and MULTI stay in one slot.
    /** The view readers use (string). */
    active: `${prefix}:{registry}:active`,
    /** The views the live consumer writes to (set): the active one, plus one being rebuilt. */
    writing: `${prefix}:{registry}:writing`,
    /** Source of view names (`v1`, `v2`, …). */
    sequence: `${prefix}:{registry}:sequence`,
    /**
     * Set (to when, ISO) once a start found no registry while the group had already committed
     * offsets: the view was lost and holds only what came after. A rebuild's activation clears it.
     */
    lost: `${prefix}:{registry}:lost`,
    /**
     * Set by the call that made the registry, until a start has asked Kafka whether the group
     * had committed offsets (view-opener.ts): a check cut short is made again, not forgotten.
     */
    unverified: `${prefix}:{registry}:unverified`,
    /** Pub/sub channel of `userNotification`, shared by every instance. */
    notifications: `${prefix}:user-notifications`,
    user: (view: string, userId: string) => `${prefix}:${view}:user:${userId}`,
    /**
     * Sorted set, all scores 0, members `{createdAt}|{id}`: a stable order for pagination. One
     * of USERS_INDEX_SHARDS per view; a user's shard follows from its id.
     */
    usersIndex: (view: string, shard: number) => `${prefix}:${view}:users:${shard}`,
    viewPattern: (view: string) => `${prefix}:${view}:*`,
  };
}

/** The index shard of a user: FNV-1a of the id, so every writer and reader agrees. */
export function usersIndexShard(userId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % USERS_INDEX_SHARDS;
}

export type ViewKeys = ReturnType<typeof viewKeys>;

/** The registry's keys before they carried a hash tag (until December 2026), for the upgrade. */
export const legacyRegistryKeys = (prefix: string) => ({
  active: `${prefix}:view:active`,
  writing: `${prefix}:view:writing`,
  sequence: `${prefix}:view:sequence`,
});
