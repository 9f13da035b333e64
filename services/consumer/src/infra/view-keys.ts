/**
 * Redis key layout of the read side. Everything lives under one prefix (one per deployment, one
 * per test, `VIEW_KEY_PREFIX`), and the view itself under `{prefix}:{view}`, so a replay can build a fresh view
 * next to the live one and readers switch by changing one pointer key.
 */
export function viewKeys(prefix: string) {
  return {
    /** The view readers use (string). */
    active: `${prefix}:view:active`,
    /** The views the live consumer writes to (set): the active one, plus one being rebuilt. */
    writing: `${prefix}:view:writing`,
    /** Source of view names (`v1`, `v2`, …). */
    sequence: `${prefix}:view:sequence`,
    /** Pub/sub channel of `userNotification`, shared by every instance. */
    notifications: `${prefix}:user-notifications`,
    user: (view: string, userId: string) => `${prefix}:${view}:user:${userId}`,
    /** Event ids already applied to one user: the idempotency marks. */
    applied: (view: string, userId: string) => `${prefix}:${view}:user:${userId}:applied`,
    /** Sorted set, all scores 0, members `{createdAt}|{id}`: a stable order for pagination. */
    usersIndex: (view: string) => `${prefix}:${view}:users`,
    viewPattern: (view: string) => `${prefix}:${view}:*`,
  };
}

export type ViewKeys = ReturnType<typeof viewKeys>;
