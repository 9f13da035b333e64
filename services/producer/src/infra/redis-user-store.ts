import type { Redis } from 'ioredis';
import { DependencyUnavailableError } from '../domain/errors.ts';
import type { StoredUser, UserStore } from '../domain/ports.ts';

// Keys: `<prefix>username:<username>` → user id (the uniqueness index) and `<prefix>user:<id>`
// → the user as JSON with its state. While reserved both carry the reservation's TTL; commit
// removes it. The scripts make each step atomic and act only on the caller's own reservation.

const RESERVE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

const COMMIT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PERSIST', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0`;

interface StoredRecord extends StoredUser {
  state: 'pending' | 'committed';
}

/** The producer's users in Redis. Any Redis failure surfaces as DependencyUnavailableError. */
export function createRedisUserStore(redis: Redis, options: { keyPrefix: string }): UserStore {
  const usernameKey = (username: string) => `${options.keyPrefix}username:${username}`;
  const userKey = (id: string) => `${options.keyPrefix}user:${id}`;
  const record = (user: StoredUser, state: StoredRecord['state']) =>
    JSON.stringify({ ...user, state } satisfies StoredRecord);

  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new DependencyUnavailableError('redis', { cause: error });
    }
  };

  return {
    reserve: (user, ttlMs) =>
      guarded(async () => {
        const reserved = await redis.eval(
          RESERVE,
          2,
          usernameKey(user.username),
          userKey(user.id),
          user.id,
          record(user, 'pending'),
          String(ttlMs),
        );
        return reserved === 1;
      }),
    commit: (user) =>
      guarded(async () => {
        const committed = await redis.eval(
          COMMIT,
          2,
          usernameKey(user.username),
          userKey(user.id),
          user.id,
          record(user, 'committed'),
        );
        return committed === 1;
      }),
    release: (user) =>
      guarded(async () => {
        await redis.eval(RELEASE, 2, usernameKey(user.username), userKey(user.id), user.id);
      }),
    findByUsername: (username) =>
      guarded(async () => {
        const id = await redis.get(usernameKey(username));
        if (id === null) return undefined;
        const json = await redis.get(userKey(id));
        if (json === null) return undefined;
        const { state, ...user } = JSON.parse(json) as StoredRecord;
        return state === 'committed' ? user : undefined;
      }),
  };
}
