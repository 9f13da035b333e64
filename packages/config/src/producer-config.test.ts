import { DEV_TOKEN_SECRET } from './fields.ts';
import { loadProducerConfig } from './index.ts';

describe('loadProducerConfig', () => {
  it('when nothing is set outside production, then the IDE and introspection are on with a dev secret', () => {
    const config = loadProducerConfig({});
    expect(config).toMatchObject({
      GRAPHQL_IDE: true,
      GRAPHQL_INTROSPECTION: true,
      TOKEN_TTL_SECONDS: 3600,
      PUBLISH_TIMEOUT_MS: 5000,
      REDIS_KEY_PREFIX: 'producer:',
    });
    expect(config.TOKEN_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('when NODE_ENV=production with the development secret from git, then it is refused', () => {
    expect(() =>
      loadProducerConfig({ NODE_ENV: 'production', TOKEN_SECRET: DEV_TOKEN_SECRET }),
    ).toThrow(/^invalid configuration: TOKEN_SECRET: is required when NODE_ENV=production$/);
  });

  it('when NODE_ENV=production without TOKEN_SECRET, then one line names TOKEN_SECRET', () => {
    expect(() => loadProducerConfig({ NODE_ENV: 'production' })).toThrow(
      /^invalid configuration: TOKEN_SECRET: is required when NODE_ENV=production$/,
    );
  });

  it('when NODE_ENV=production with a secret, then the IDE and introspection are off unless enabled', () => {
    const secret = 'x'.repeat(32);
    expect(loadProducerConfig({ NODE_ENV: 'production', TOKEN_SECRET: secret })).toMatchObject({
      GRAPHQL_IDE: false,
      GRAPHQL_INTROSPECTION: false,
      TOKEN_SECRET: secret,
    });
    expect(
      loadProducerConfig({ NODE_ENV: 'production', TOKEN_SECRET: secret, GRAPHQL_IDE: 'true' })
        .GRAPHQL_IDE,
    ).toBe(true);
  });

  it('when a value is out of range, then the variable is named', () => {
    expect(() => loadProducerConfig({ TOKEN_SECRET: 'short' })).toThrow(
      /TOKEN_SECRET: must be at least 32/,
    );
    expect(() => loadProducerConfig({ GRAPHQL_IDE: 'maybe' })).toThrow(/GRAPHQL_IDE: /);
    expect(() => loadProducerConfig({ SCRYPT_COST: '1000' })).toThrow(
      /SCRYPT_COST: must be a power of two/,
    );
    expect(() =>
      loadProducerConfig({ PUBLISH_TIMEOUT_MS: '5000', USERNAME_RESERVATION_TTL_MS: '29999' }),
    ).toThrow(/USERNAME_RESERVATION_TTL_MS: must be at least 2 × PUBLISH_TIMEOUT_MS \+ 20000/);
    expect(
      loadProducerConfig({ PUBLISH_TIMEOUT_MS: '5000', USERNAME_RESERVATION_TTL_MS: '30000' })
        .USERNAME_RESERVATION_TTL_MS,
    ).toBe(30_000);
    // Waiting for a replica adds the reserve's WAIT and each commit attempt's, 1 s each.
    const waiting = { PUBLISH_TIMEOUT_MS: '5000', REDIS_WAIT_REPLICAS: '1' };
    expect(() => loadProducerConfig({ ...waiting, USERNAME_RESERVATION_TTL_MS: '35999' })).toThrow(
      /USERNAME_RESERVATION_TTL_MS: must be at least 2 × PUBLISH_TIMEOUT_MS \+ 20000, and 6000 more with REDIS_WAIT_REPLICAS/,
    );
    expect(
      loadProducerConfig({ ...waiting, USERNAME_RESERVATION_TTL_MS: '36000' }).REDIS_WAIT_REPLICAS,
    ).toBe(1);
    expect(loadProducerConfig({}).REDIS_WAIT_REPLICAS).toBe(0);
    expect(() => loadProducerConfig({ REDIS_WAIT_REPLICAS: '6' })).toThrow(
      /REDIS_WAIT_REPLICAS: must be <= 5/,
    );
    expect(() => loadProducerConfig({ PUBLISH_TIMEOUT_MS: '2999' })).toThrow(
      /PUBLISH_TIMEOUT_MS: must be >= 3000/,
    );
    expect(() =>
      loadProducerConfig({ PUBLISH_TIMEOUT_MS: '30001', USERNAME_RESERVATION_TTL_MS: '90000' }),
    ).toThrow(/PUBLISH_TIMEOUT_MS: must be <= 30000/);
    expect(() => loadProducerConfig({ PUBLISH_LINGER_MS: '1001' })).toThrow(
      /PUBLISH_LINGER_MS: must be <= 1000/,
    );
  });

  it('when nothing about passwords is set, then argon2id at OWASP parameters and 5 failures in 900 s', () => {
    expect(loadProducerConfig({})).toMatchObject({
      PASSWORD_HASH: 'argon2id',
      ARGON2_MEMORY_KIB: 19_456,
      ARGON2_PASSES: 2,
      SCRYPT_COST: 131_072,
      LOGIN_MAX_FAILURES: 5,
      LOGIN_FAILURE_WINDOW_SECONDS: 900,
      PASSWORD_HASH_MAX_WAIT_MS: 2_000,
      UV_THREADPOOL_SIZE: 4,
    });
  });

  it('when only SCRYPT_COST is set, then scrypt at that cost; when PASSWORD_HASH says otherwise, then it wins', () => {
    expect(loadProducerConfig({ SCRYPT_COST: '1024' })).toMatchObject({
      PASSWORD_HASH: 'scrypt',
      SCRYPT_COST: 1024,
    });
    expect(
      loadProducerConfig({ SCRYPT_COST: '1024', PASSWORD_HASH: 'argon2id' }).PASSWORD_HASH,
    ).toBe('argon2id');
    expect(loadProducerConfig({ PASSWORD_HASH: 'scrypt' }).SCRYPT_COST).toBe(131_072);
  });

  it.each([
    [{ PASSWORD_HASH: 'bcrypt' }, /PASSWORD_HASH: must be argon2id or scrypt/],
    [{ ARGON2_MEMORY_KIB: '4' }, /ARGON2_MEMORY_KIB: must be >= 8/],
    [{ ARGON2_MEMORY_KIB: '2000000' }, /ARGON2_MEMORY_KIB: must be <= 1048576/],
    [{ ARGON2_PASSES: '0' }, /ARGON2_PASSES: must be > 0/],
    [{ ARGON2_PASSES: '17' }, /ARGON2_PASSES: must be <= 16/],
    [{ SCRYPT_COST: '2097152' }, /SCRYPT_COST: must be a power of two/],
    [{ LOGIN_MAX_FAILURES: '0' }, /LOGIN_MAX_FAILURES: must be > 0/],
    [{ LOGIN_MAX_FAILURES: '1.5' }, /LOGIN_MAX_FAILURES: must be a whole number/],
    [{ LOGIN_FAILURE_WINDOW_SECONDS: 'soon' }, /LOGIN_FAILURE_WINDOW_SECONDS: must be a number/],
    [{ LOGIN_FAILURE_WINDOW_SECONDS: '86401' }, /LOGIN_FAILURE_WINDOW_SECONDS: must be <= 86400/],
    [{ PASSWORD_HASH_MAX_WAIT_MS: '0' }, /PASSWORD_HASH_MAX_WAIT_MS: must be > 0/],
    [{ PASSWORD_HASH_MAX_WAIT_MS: '60001' }, /PASSWORD_HASH_MAX_WAIT_MS: must be <= 60000/],
    [{ UV_THREADPOOL_SIZE: '1025' }, /UV_THREADPOOL_SIZE: must be <= 1024/],
    [{ REDIS_KEY_PREFIX: 'tenant-{a}:' }, /REDIS_KEY_PREFIX: must not contain \{ or \}/],
  ])('when %j, then the variable is named', (env, message) => {
    expect(() => loadProducerConfig(env)).toThrow(message);
  });
});
