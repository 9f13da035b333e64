import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client.ts';

/** Deletes the lock only while it is still ours: an expired one may belong to another run now. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

export interface ReplayLock {
  /**
   * Runs `work` while holding the dead letter's lock; `{ acquired: false }` at once, without
   * running it, when another replay or discard of that dead letter (in any instance) holds it.
   */
  withLock<T>(
    id: string,
    work: () => Promise<T>,
  ): Promise<{ acquired: true; value: T } | { acquired: false }>;
}

/**
 * Single flight per dead letter across every consumer instance: a Redis key set with NX, so two
 * operators (or a CLI and the IDE) replaying one dead letter at the same moment run its handler
 * once. The lock expires after `ttlMs`, so an instance that dies holding it blocks that dead
 * letter for that long only; a run longer than that could overlap, hence a generous default.
 */
export function createReplayLock(deps: {
  redis: RedisClient;
  prefix: string;
  /** @defaultValue 60_000 */
  ttlMs?: number;
  /** Told when a lock could not be released (it then expires after `ttlMs`). */
  onReleaseFailed?: (error: unknown) => void;
}): ReplayLock {
  const ttlMs = deps.ttlMs ?? 60_000;
  return {
    async withLock(id, work) {
      const key = `${deps.prefix}:${id}`;
      const owner = randomUUID();
      const taken = await deps.redis.set(key, owner, 'PX', ttlMs, 'NX');
      if (taken !== 'OK') return { acquired: false };
      try {
        return { acquired: true, value: await work() };
      } finally {
        // A release that fails must not replace the work's outcome (a replay done, or its own
        // error): the lock's expiry frees the dead letter anyway.
        await deps.redis.eval(RELEASE, 1, key, owner).catch((error: unknown) => {
          deps.onReleaseFailed?.(error);
        });
      }
    },
  };
}
