import { randomUUID } from 'node:crypto';
import { uniqueName } from '@kafka-ecs/testing';
import type { Redis } from 'ioredis';
import type { StoredUser, UserStore } from '../src/domain/ports.ts';
import { createRedisUserStore } from '../src/infra/redis-user-store.ts';
import { connectTestRedis } from './support/harness.ts';

describe('the Redis user store', () => {
  let redis: Redis;
  let store: UserStore;
  let keyPrefix: string;
  const stored = async (id: string) =>
    JSON.parse((await redis.get(`${keyPrefix}user:${id}`)) ?? 'null') as Record<string, unknown>;
  const committedUser = async (): Promise<StoredUser> => {
    const user: StoredUser = {
      id: randomUUID(),
      username: uniqueName('user').toLowerCase().slice(0, 64),
      email: 'ada@example.com',
      firstName: 'Zoë',
      lastName: null,
      createdAt: new Date().toISOString(),
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$b2xkc2FsdA$b2xkLWhhc2gtYnl0ZXM/+w',
    };
    expect(await store.reserve(user, 60_000)).toBe(true);
    expect(await store.commit(user)).toBe(true);
    return user;
  };

  beforeAll(async () => {
    redis = await connectTestRedis();
  });
  beforeEach(() => {
    keyPrefix = `${uniqueName('user-store')}:`;
    store = createRedisUserStore(redis, { keyPrefix });
  });
  afterEach(async () => {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
  afterAll(() => {
    redis?.disconnect();
  });

  it('when the hash is replaced, then only the hash field changes, and a field changed meanwhile is kept', async () => {
    const user = await committedUser();
    // Another writer changes the record after the login read it: the login's copy is stale.
    const changed = { ...(await stored(user.id)), email: 'ada@new.example.com' };
    await redis.set(`${keyPrefix}user:${user.id}`, JSON.stringify(changed));

    expect(await store.updatePasswordHash(user, 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3')).toBe(true);
    expect(await stored(user.id)).toEqual({
      ...changed,
      passwordHash: 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3',
    });
    expect(await redis.ttl(`${keyPrefix}user:${user.id}`)).toBe(-1);
    expect((await store.findByUsername(user.username))?.passwordHash).toBe(
      'scrypt$1024$8$1$bmV3c2FsdA==$bmV3',
    );
  });

  it('when the stored hash is no longer the one the caller verified, then nothing is replaced', async () => {
    const user = await committedUser();
    const before = await stored(user.id);
    const stale = { ...user, passwordHash: 'scrypt$1024$8$1$b3RoZXI=$b3RoZXI=' };
    expect(await store.updatePasswordHash(stale, 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3')).toBe(false);
    expect(await stored(user.id)).toEqual(before);
  });

  it('when the user is only reserved or does not exist, then nothing is replaced or created', async () => {
    const pending: StoredUser = {
      ...(await committedUser()),
      id: randomUUID(),
      username: 'x-pending',
    };
    expect(await store.reserve(pending, 60_000)).toBe(true);
    const before = await stored(pending.id);
    expect(await store.updatePasswordHash(pending, 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3')).toBe(
      false,
    );
    expect(await stored(pending.id)).toEqual(before);
    const ghost = { id: randomUUID(), passwordHash: pending.passwordHash };
    expect(await store.updatePasswordHash(ghost, 'scrypt$1024$8$1$bmV3c2FsdA==$bmV3')).toBe(false);
    expect(await redis.exists(`${keyPrefix}user:${ghost.id}`)).toBe(0);
  });
});
