import { randomUUID } from 'node:crypto';
import { createRedisConnection, type RedisClient } from '@kafka-ecs/service-kit';
import { deleteKeys, keysOnEveryMaster, uniqueName, waitFor } from '@kafka-ecs/testing';
import { type Cluster, Redis } from 'ioredis';
import { DependencyUnavailableError } from '../src/domain/errors.ts';
import type { StoredUser, UserStore } from '../src/domain/ports.ts';
import { createRedisUserStore } from '../src/infra/redis-user-store.ts';
import { userKeys } from '../src/infra/user-keys.ts';
import { connectTestRedis, redisClusterUrl } from './support/harness.ts';

// Every case on the stack's single Redis and on the three-master cluster of
// `pnpm stack:up --redis-cluster` (brought up here when it does not run): on the cluster a
// script's two keys must share a slot, or Redis refuses it (CROSSSLOT).

const newStoredUser = (): StoredUser => ({
  id: randomUUID(),
  username: uniqueName('user').toLowerCase().slice(0, 64),
  email: 'ada@example.com',
  firstName: 'Zoë',
  lastName: null,
  createdAt: new Date().toISOString(),
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$b2xkc2FsdA$b2xkLWhhc2gtYnl0ZXM/+w',
});

describe.each([
  ['a single Redis', false],
  ['a Redis Cluster', true],
])('the Redis user store on %s', (_name, cluster) => {
  let redis: RedisClient;
  let store: UserStore;
  let keyPrefix: string;
  const keyOf = (user: Pick<StoredUser, 'id' | 'username'>) =>
    userKeys(keyPrefix, { cluster }).user(user);
  const stored = async (user: Pick<StoredUser, 'id' | 'username'>) =>
    JSON.parse((await redis.get(keyOf(user))) ?? 'null') as Record<string, unknown>;
  const committedUser = async (): Promise<StoredUser> => {
    const user = newStoredUser();
    expect(await store.reserve(user, 60_000)).toBe(true);
    expect(await store.commit(user)).toBe('committed');
    return user;
  };

  beforeAll(async () => {
    redis = await connectTestRedis(cluster ? { url: await redisClusterUrl(), cluster } : {});
  }, 60_000);
  beforeEach(() => {
    keyPrefix = `${uniqueName('user-store')}:`;
    store = createRedisUserStore(redis, { keyPrefix, creations: redis });
  });
  afterEach(async () => {
    await deleteKeys(redis, `${keyPrefix}*`);
  });
  afterAll(() => {
    redis?.disconnect();
  });

  it('when a user is committed, then its two keys have the names of this kind of Redis and it is found by its username', async () => {
    const user = await committedUser();
    // A single Redis keeps the names deployments already hold; a cluster's share a hash tag.
    expect(await keysOnEveryMaster(redis, `${keyPrefix}*`)).toEqual(
      cluster
        ? [
            `${keyPrefix}user:{${user.username}}:${user.id}`,
            `${keyPrefix}username:{${user.username}}`,
          ]
        : [`${keyPrefix}user:${user.id}`, `${keyPrefix}username:${user.username}`],
    );
    expect(await store.findByUsername(` ${user.username.toUpperCase()} `)).toEqual(user);
  });

  it('when a username is reserved or committed, then another reservation of it is refused, and a release frees it', async () => {
    const user = newStoredUser();
    expect(await store.reserve(user, 60_000)).toBe(true);
    const rival = { ...newStoredUser(), username: user.username };
    expect(await store.reserve(rival, 60_000)).toBe(false);
    // Only reserved: not a user yet.
    expect(await store.findByUsername(user.username)).toBeUndefined();

    // Another request's release leaves the reservation alone; the owner's removes both keys.
    await store.release(rival);
    expect(await keysOnEveryMaster(redis, `${keyPrefix}*`)).toHaveLength(2);
    await store.release(user);
    expect(await keysOnEveryMaster(redis, `${keyPrefix}*`)).toEqual([]);

    expect(await store.reserve(rival, 60_000)).toBe(true);
    expect(await store.commit(rival)).toBe('committed');
    expect(await store.reserve(user, 60_000)).toBe(false);
    expect(await store.findByUsername(user.username)).toEqual(rival);
  });

  it('when a request reserves again what it reserved (a send repeated), then it is told so again, and once committed never', async () => {
    const user = newStoredUser();
    expect(await store.reserve(user, 60_000)).toBe(true);
    // A cluster client sends a script again when its node's connection dropped before the answer.
    expect(await store.reserve(user, 60_000)).toBe(true);
    expect(await redis.pttl(keyOf(user))).toBeGreaterThan(0);

    expect(await store.commit(user)).toBe('committed');
    expect(await store.reserve(user, 60_000)).toBe(false);
    // Committed for good: the repeated reserve put no TTL back.
    expect(await redis.pttl(keyOf(user))).toBe(-1);
    expect(await store.findByUsername(user.username)).toEqual(user);
  });

  it('when the commit comes after the reservation expired (its event is out), then it takes the free name again for good', async () => {
    const user = newStoredUser();
    expect(await store.reserve(user, 50)).toBe(true);
    await waitFor(async () => (await keysOnEveryMaster(redis, `${keyPrefix}*`)).length === 0, {
      timeoutMs: 5_000,
      description: 'the reservation expiring',
    });

    expect(await store.commit(user)).toBe('restored');
    expect(await store.findByUsername(user.username)).toEqual(user);
    expect(await redis.pttl(keyOf(user))).toBe(-1);
    expect(await redis.pttl(userKeys(keyPrefix, { cluster }).username(user.username))).toBe(-1);
    expect(await store.commit(user)).toBe('committed');
  });

  it('when another request reserved the name after the reservation expired, then the commit says so while it is reserved and once it is committed, and changes nothing', async () => {
    const user = newStoredUser();
    expect(await store.reserve(user, 50)).toBe(true);
    const rival = { ...newStoredUser(), username: user.username };
    await waitFor(() => store.reserve(rival, 60_000), {
      timeoutMs: 5_000,
      description: "the rival's reservation, once the first expired",
    });

    // The rival's publish may still fail and release the name.
    expect(await store.commit(user)).toBe('name-reserved');
    expect(await store.commit(rival)).toBe('committed');
    expect(await store.commit(user)).toBe('name-taken');
    expect(await stored(user)).toBeNull();
    expect(await store.findByUsername(user.username)).toEqual(rival);
  });

  it('when the hash is replaced, then only the hash field changes, and a field changed meanwhile is kept', async () => {
    const user = await committedUser();
    // Another writer changes the record after the login read it: the login's copy is stale.
    const changed = { ...(await stored(user)), email: 'ada@new.example.com' };
    await redis.set(keyOf(user), JSON.stringify(changed));

    expect(await store.updatePasswordHash(user, 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3')).toBe(true);
    expect(await stored(user)).toEqual({
      ...changed,
      passwordHash: 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3',
    });
    expect(await redis.ttl(keyOf(user))).toBe(-1);
    expect((await store.findByUsername(user.username))?.passwordHash).toBe(
      'scrypt$1024$8$1$bmV3c2FsdA==$bmV3',
    );
  });

  it('when the stored hash is no longer the one the caller verified, then nothing is replaced', async () => {
    const user = await committedUser();
    const before = await stored(user);
    const stale = { ...user, passwordHash: 'scrypt$1024$8$1$b3RoZXI=$b3RoZXI=' };
    expect(await store.updatePasswordHash(stale, 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3')).toBe(false);
    expect(await stored(user)).toEqual(before);
  });

  it('when the user is only reserved or does not exist, then nothing is replaced or created', async () => {
    const pending: StoredUser = {
      ...(await committedUser()),
      id: randomUUID(),
      username: 'x-pending',
    };
    expect(await store.reserve(pending, 60_000)).toBe(true);
    const before = await stored(pending);
    expect(await store.updatePasswordHash(pending, 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3')).toBe(
      false,
    );
    expect(await stored(pending)).toEqual(before);
    const ghost = { id: randomUUID(), username: 'x-ghost', passwordHash: pending.passwordHash };
    expect(await store.updatePasswordHash(ghost, 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3')).toBe(false);
    expect(await redis.exists(keyOf(ghost))).toBe(0);
  });
});

describe('the Redis user store when its writes must reach a replica (waitReplicas 1)', () => {
  it('when no replica confirms a commit, then the commit fails although the primary holds it committed', async () => {
    // The stack's single Redis has no replica: WAIT answers 0 after its bound.
    const redis = await connectTestRedis();
    const keyPrefix = `${uniqueName('user-store')}:`;
    try {
      const reserving = createRedisUserStore(redis, { keyPrefix, creations: redis });
      const waiting = createRedisUserStore(redis, { keyPrefix, creations: redis, waitReplicas: 1 });
      const ada = newStoredUser();
      expect(await reserving.reserve(ada, 60_000)).toBe(true);

      await expect(waiting.commit(ada)).rejects.toThrow(DependencyUnavailableError);
      // The write ran; only its replication is unconfirmed, so the caller may not count on it.
      expect(await redis.ttl(userKeys(keyPrefix, { cluster: false }).user(ada))).toBe(-1);
    } finally {
      await deleteKeys(redis, `${keyPrefix}*`);
      redis.disconnect();
    }
  });

  it("when a cluster's masters have replicas, then a reservation and its commit wait on the master of the user's slot alone", async () => {
    // Named, so each master's CLIENT LIST shows what this client's connection last sent there.
    const name = uniqueName('creations').replace(/[^\w-]/g, '');
    const redis = createRedisConnection(
      { url: await redisClusterUrl(), cluster: true },
      { connectionName: name },
    ) as Cluster;
    redis.on('error', () => {});
    const keyPrefix = `${uniqueName('user-store')}:`;
    try {
      await waitFor(() => redis.status === 'ready', { timeoutMs: 10_000, description: 'cluster' });
      const store = createRedisUserStore(redis, { keyPrefix, creations: redis, waitReplicas: 1 });
      const ada = newStoredUser();
      // Asked first: CLUSTER KEYSLOT goes to any master, as this client's last command there.
      const usernameKey = userKeys(keyPrefix, { cluster: true }).username(ada.username);
      const slot = Number(await redis.cluster('KEYSLOT', usernameKey));
      expect(await store.reserve(ada, 60_000)).toBe(true);
      expect(await store.commit(ada)).toBe('committed');

      // Asked over connections of their own: the named one's last command must stay its own.
      const lastSent = await Promise.all(
        redis.nodes('master').map(async ({ options: { host, port } }) => {
          const probe = new Redis({ host, port });
          try {
            const clients = String(await probe.call('CLIENT', 'LIST')).split('\n');
            const mine = clients.find((client) => client.includes(` name=${name} `));
            return [`${host}:${port}`, /cmd=(\S+)/.exec(mine ?? '')?.[1]];
          } finally {
            probe.disconnect();
          }
        }),
      );
      const owner = redis.slots[slot]?.[0];
      expect(lastSent.filter(([, cmd]) => cmd === 'wait').map(([node]) => node)).toEqual([owner]);
    } finally {
      await deleteKeys(redis, `${keyPrefix}*`);
      redis.disconnect();
    }
  });
});
