import {
  CREATE_USER,
  codeOf,
  countingHasher,
  LOGIN,
  newUser,
  startTestProducer,
} from './support/harness.ts';

describe('password hash upgrade', () => {
  it('when a user with a scrypt hash logs in, then the hash is replaced by argon2id at the current parameters, once', async () => {
    const legacy = await startTestProducer({ settings: { passwordHash: 'scrypt' } });
    const counting = countingHasher();
    const current = await startTestProducer({
      settings: { passwordHash: 'argon2id', redisKeyPrefix: legacy.keyPrefix },
      wrapHasher: counting.wrap,
    });
    try {
      const ada = newUser();
      expect((await legacy.graphql(CREATE_USER, { input: ada })).body.errors).toBeUndefined();
      const storedHash = async () => {
        const id = await current.redis.get(`${legacy.keyPrefix}username:${ada.username}`);
        const record = JSON.parse(
          (await current.redis.get(`${legacy.keyPrefix}user:${id}`)) ?? '{}',
        );
        return { hash: record.passwordHash as string, state: record.state as string };
      };
      expect((await storedHash()).hash).toMatch(/^scrypt\$1024\$/);

      const credentials = { username: ada.username, password: ada.password };
      const hashesBefore = counting.counts.hash;
      expect((await current.graphql(LOGIN, credentials)).body.errors).toBeUndefined();
      expect(counting.counts.hash - hashesBefore).toBe(1);
      const upgraded = await storedHash();
      expect(upgraded.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(upgraded.state).toBe('committed');

      // The new hash verifies, and is not replaced again.
      expect((await current.graphql(LOGIN, credentials)).body.errors).toBeUndefined();
      expect(counting.counts.hash - hashesBefore).toBe(1);
      expect((await storedHash()).hash).toBe(upgraded.hash);
      expect(
        codeOf((await current.graphql(LOGIN, { ...credentials, password: 'nope-nope' })).body),
      ).toBe('UNAUTHENTICATED');
    } finally {
      await current.close();
      await legacy.close();
    }
  });
});

describe('unknown users', () => {
  it('when the username does not exist, then the login spends one verification against a hash at the current setting', async () => {
    const counting = countingHasher();
    const producer = await startTestProducer({
      settings: { passwordHash: 'argon2id' },
      wrapHasher: counting.wrap,
    });
    try {
      const before = counting.counts.verify;
      const { body } = await producer.graphql(LOGIN, {
        username: 'nobody-by-this-name',
        password: 'whatever1',
      });
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
      expect(counting.counts.verify - before).toBe(1);
      expect(counting.verifiedAgainst.at(-1)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    } finally {
      await producer.close();
    }
  });
});
