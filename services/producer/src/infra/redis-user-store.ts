import { type RedisClient, waitForReplicas, writeConnection } from '@kafka-ecs/service-kit';
import { Cluster } from 'ioredis';
import { DependencyUnavailableError } from '../domain/errors.ts';
import type { CommitOutcome, StoredUser, UserStore } from '../domain/ports.ts';
import { normalizeUsername, USERNAME_PATTERN } from '../domain/username.ts';
import { userKeys } from './user-keys.ts';

// Keys (user-keys.ts): `<prefix>username:<username>` → user id (the uniqueness index) and
// `<prefix>user:<id>` → the user as JSON with its state; on a cluster both carry the username as
// hash tag. While reserved both carry the reservation's TTL; commit removes it. The scripts make
// each step atomic and act only on the caller's own reservation.

// A reserve of this request's own reservation answers as the first did, and writes it again for a
// WAIT to cover: ioredis sends a script again when its connection (a cluster's, its node's)
// dropped before the answer, although the first send may have run. A committed user (no TTL) is
// never touched.
const RESERVE = `
local held = redis.call('GET', KEYS[1])
if held and (held ~= ARGV[1] or redis.call('PTTL', KEYS[1]) < 0) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`;

// A commit runs only once the user's event is out, so the user exists: a name no longer held (its
// reservation expired while Redis was unreachable, or the primary that held it failed before a
// replica had it) is taken again for the user, 2. Held by another id, nothing is touched: 0 once
// committed (no TTL), 3 while only reserved.
const COMMIT = `
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  redis.call('PERSIST', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
if held then
  if redis.call('PTTL', KEYS[1]) < 0 then return 0 end
  return 3
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return 2`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0`;

// On the user's key alone: sets the hash field only while the record is committed and still
// holds the hash the caller verified, so neither a concurrent change of the hash nor one of any
// other field is overwritten (the rest of the record is written back as it is stored now).
const REPLACE_HASH = `
local json = redis.call('GET', KEYS[1])
if not json then return 0 end
local record = cjson.decode(json)
if record.state ~= 'committed' or record.passwordHash ~= ARGV[1] then return 0 end
record.passwordHash = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
return 1`;

/** The commit script's answers. */
const COMMIT_OUTCOMES: Partial<Record<number, CommitOutcome>> = {
  0: 'name-taken',
  1: 'committed',
  2: 'restored',
  3: 'name-reserved',
};

interface StoredRecord extends StoredUser {
  state: 'pending' | 'committed';
}

/** The scripts below, defined on the client: sent once, then run by their hash (EVALSHA). */
type TwoKeyScript = 'reserveUser' | 'commitUser' | 'releaseUser';
type UserScripts = {
  [name in TwoKeyScript]: (
    usernameKey: string,
    userKey: string,
    ...args: string[]
  ) => Promise<number>;
} & {
  replaceUserHash(userKey: string, oldHash: string, newHash: string): Promise<number>;
};

/**
 * The producer's users in Redis. Any Redis failure surfaces as DependencyUnavailableError, and so
 * does a reservation or a commit that did not reach `waitReplicas` replicas in time.
 */
export function createRedisUserStore(
  redis: RedisClient,
  options: {
    keyPrefix: string;
    /**
     * The connection that writes users' creations (reserve, commit, release) and waits for their
     * replicas: a WAIT holds its connection until it answers (1 s with a replica missing), so not
     * the one logins use.
     */
    creations: RedisClient;
    /**
     * Replicas that must hold a reservation and a commit before either counts
     * (REDIS_WAIT_REPLICAS): a user whose event is out must survive a failover. @defaultValue 0
     */
    waitReplicas?: number;
  },
): UserStore {
  const waitReplicas = options.waitReplicas ?? 0;
  const creations = options.creations as RedisClient & UserScripts;
  // defineCommand sends EVALSHA and reloads a script itself after a Redis restart (NOSCRIPT),
  // as the consumer's view store and the retry state do.
  creations.defineCommand('reserveUser', { numberOfKeys: 2, lua: RESERVE });
  creations.defineCommand('commitUser', { numberOfKeys: 2, lua: COMMIT });
  creations.defineCommand('releaseUser', { numberOfKeys: 2, lua: RELEASE });
  redis.defineCommand('replaceUserHash', { numberOfKeys: 1, lua: REPLACE_HASH });
  const scripts = redis as RedisClient & UserScripts;
  // Decided once: the names must not change while the store runs (see user-keys.ts).
  const keys = userKeys(options.keyPrefix, { cluster: redis instanceof Cluster });
  const record = (user: StoredUser, state: StoredRecord['state']) =>
    JSON.stringify({ ...user, state } satisfies StoredRecord);
  /**
   * Runs a script on the user's two keys (one slot) with the user's id first and returns what it
   * returned; with `durable` (what to name in an error), once a script that wrote (1, or a
   * commit's 2) has its writes on the replicas.
   */
  const run = (script: TwoKeyScript, user: StoredUser, durable: string | null, ...args: string[]) =>
    guarded(async () => {
      const usernameKey = keys.username(user.username);
      const writtenOn = writeConnection(creations);
      const done = await creations[script](usernameKey, keys.user(user), user.id, ...args);
      if ((done === 1 || done === 2) && durable) {
        await waitForReplicas(creations, waitReplicas, durable, { key: usernameKey, writtenOn });
      }
      return done;
    });

  return {
    reserve: async (user, ttlMs) =>
      (await run(
        'reserveUser',
        user,
        "a username's reservation",
        record(user, 'pending'),
        String(ttlMs),
      )) === 1,
    // Run again after a failure (user-commits.ts retries it), the commit is the same write and
    // the same wait: a commit lost with its primary is made again.
    commit: async (user): Promise<CommitOutcome> => {
      const done = await run('commitUser', user, "a user's commit", record(user, 'committed'));
      const outcome = COMMIT_OUTCOMES[done];
      // Not a user lost for an answer this code does not know: a failure, tried again.
      if (outcome === undefined) throw new Error(`the commit script answered ${done}`);
      return outcome;
    },
    // Not waited for: a release a failover loses leaves a reservation that expires by itself.
    release: async (user) => {
      await run('releaseUser', user, null);
    },
    findByUsername: (username) =>
      guarded(async () => {
        // Normalized as the login throttle's key is, so the variant a throttle counts against a
        // user is the one that finds that user. Stored usernames are already in that form.
        const name = normalizeUsername(username);
        // No stored username has another shape: no lookup, and no key built from long input.
        if (!USERNAME_PATTERN.test(name)) return undefined;
        const id = await redis.get(keys.username(name));
        if (id === null) return undefined;
        const json = await redis.get(keys.user({ id, username: name }));
        if (json === null) return undefined;
        const { state, ...user } = JSON.parse(json) as StoredRecord;
        return state === 'committed' ? user : undefined;
      }),
    updatePasswordHash: (user, passwordHash) =>
      guarded(async () => {
        const replaced = await scripts.replaceUserHash(
          keys.user(user),
          user.passwordHash,
          passwordHash,
        );
        return replaced === 1;
      }),
  };
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new DependencyUnavailableError('redis', { cause: error });
  }
}
