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
      loadProducerConfig({ PUBLISH_TIMEOUT_MS: '30000', USERNAME_RESERVATION_TTL_MS: '60000' }),
    ).toThrow(/USERNAME_RESERVATION_TTL_MS: must be at least 3 × PUBLISH_TIMEOUT_MS/);
  });
});
