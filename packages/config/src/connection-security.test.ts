import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConsumerConfig, loadProducerConfig, readConnectionSecurity } from './index.ts';

const PASSWORD = 'correct-horse-battery-staple';
let dir: string;
let caFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'config-ca-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The one line loadConfig throws for `env`, from both services (they share these variables). */
function failure(env: Record<string, string>): string {
  const messages = [loadProducerConfig, loadConsumerConfig].map((load) => {
    try {
      load(env);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  });
  expect(messages[1]).toBe(messages[0]);
  return messages[0] as string;
}

describe('secure connections: valid combinations', () => {
  it('when nothing is set, then Kafka is plaintext without SASL and Redis has no private CA', () => {
    for (const config of [loadProducerConfig({}), loadConsumerConfig({})]) {
      expect(config.kafkaSecurity).toEqual({ ssl: false });
      expect(config.redisTls).toEqual({});
      expect(Object.isFrozen(config.kafkaSecurity)).toBe(true);
      expect(Object.isFrozen(config.redisTls)).toBe(true);
    }
  });

  it('when SCRAM-SHA-512 has its user and password over TLS with a CA, then all reach kafkaSecurity', () => {
    const config = loadConsumerConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'consumer',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(config.kafkaSecurity).toEqual({
      ssl: true,
      caFile,
      sasl: { mechanism: 'scram-sha-512', username: 'consumer', password: PASSWORD },
    });
    expect(Object.isFrozen(config.kafkaSecurity.sasl)).toBe(true);
  });

  it('when SCRAM-SHA-256 is used without TLS, then it is allowed (SASL_PLAINTEXT)', () => {
    expect(
      loadProducerConfig({
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'producer',
        KAFKA_SASL_PASSWORD: PASSWORD,
      }).kafkaSecurity,
    ).toEqual({
      ssl: false,
      sasl: { mechanism: 'scram-sha-256', username: 'producer', password: PASSWORD },
    });
  });

  it('when aws-msk-iam has TLS and a region, then no username is needed', () => {
    expect(
      loadProducerConfig({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'aws-msk-iam',
        AWS_REGION: 'eu-west-1',
      }).kafkaSecurity,
    ).toEqual({ ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } });
  });

  it.each(['us-gov-west-1', 'cn-north-1', 'eusc-de-east-1'])(
    'when AWS_REGION is %s, then it is taken as a region',
    (region) => {
      expect(
        loadConsumerConfig({
          KAFKA_SSL: 'true',
          KAFKA_SASL_MECHANISM: 'aws-msk-iam',
          AWS_REGION: region,
        }).kafkaSecurity.sasl,
      ).toEqual({ mechanism: 'aws-msk-iam', region });
    },
  );

  it('when REDIS_URL is rediss:// with credentials and a CA file, then the CA reaches redisTls', () => {
    const config = loadConsumerConfig({
      REDIS_URL: `rediss://view:${PASSWORD}@cache.example:6379`,
      REDIS_TLS_CA_FILE: caFile,
    });
    expect(config.redisTls).toEqual({ caFile });
    expect(config.REDIS_URL).toBe(`rediss://view:${PASSWORD}@cache.example:6379`);
  });
});

describe('secure connections: invalid combinations stop the start with one line', () => {
  it('when production would send credentials in the clear, then KAFKA_SSL and REDIS_URL are named, the password unquoted', () => {
    const production = { NODE_ENV: 'production', TOKEN_SECRET: `s-${'x'.repeat(40)}` };
    expect(
      failure({
        ...production,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'consumer',
        KAFKA_SASL_PASSWORD: PASSWORD,
      }),
    ).toBe(
      'invalid configuration: KAFKA_SSL: must be true with KAFKA_SASL_MECHANISM=scram-sha-512 when NODE_ENV=production',
    );
    const message = failure({ ...production, REDIS_URL: `redis://app:${PASSWORD}@redis:6379` });
    expect(message).toBe(
      'invalid configuration: REDIS_URL: must be rediss:// (TLS) when it carries a password and NODE_ENV=production (got "redis://***@redis:6379")',
    );
    expect(message).not.toContain(PASSWORD);
    // Plaintext without credentials stays allowed there, and credentials over TLS.
    for (const load of [loadProducerConfig, loadConsumerConfig]) {
      expect(() => load(production)).not.toThrow();
      expect(() =>
        load({
          ...production,
          KAFKA_SSL: 'true',
          KAFKA_SASL_MECHANISM: 'scram-sha-512',
          KAFKA_SASL_USERNAME: 'consumer',
          KAFKA_SASL_PASSWORD: PASSWORD,
          REDIS_URL: `rediss://app:${PASSWORD}@redis:6379`,
        }),
      ).not.toThrow();
    }
  });

  it('when a SCRAM mechanism has no password, then KAFKA_SASL_PASSWORD is named', () => {
    expect(
      failure({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'consumer' }),
    ).toBe(
      'invalid configuration: KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM=scram-sha-512',
    );
  });

  it('when a SCRAM mechanism has no username, then KAFKA_SASL_USERNAME is named, not the password', () => {
    const message = failure({
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(message).toBe(
      'invalid configuration: KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM=scram-sha-256',
    );
  });

  it('when credentials are set without a SCRAM mechanism, then both are named and the password is not quoted', () => {
    const message = failure({ KAFKA_SASL_USERNAME: 'consumer', KAFKA_SASL_PASSWORD: PASSWORD });
    expect(message).toMatch(
      /^invalid configuration: KAFKA_SASL_USERNAME: is only for .*; KAFKA_SASL_PASSWORD: is only for KAFKA_SASL_MECHANISM=scram-sha-256 or scram-sha-512$/,
    );
    expect(message).not.toContain(PASSWORD);
  });

  it('when aws-msk-iam is chosen without TLS, then KAFKA_SSL is named', () => {
    expect(failure({ KAFKA_SASL_MECHANISM: 'aws-msk-iam', AWS_REGION: 'us-east-1' })).toBe(
      'invalid configuration: KAFKA_SSL: must be true with KAFKA_SASL_MECHANISM=aws-msk-iam (MSK IAM is TLS-only)',
    );
  });

  it('when aws-msk-iam is chosen without a region, then AWS_REGION is named', () => {
    expect(failure({ KAFKA_SASL_MECHANISM: 'aws-msk-iam', KAFKA_SSL: 'true' })).toBe(
      'invalid configuration: AWS_REGION: is required with KAFKA_SASL_MECHANISM=aws-msk-iam',
    );
    expect(
      failure({ KAFKA_SASL_MECHANISM: 'aws-msk-iam', KAFKA_SSL: 'true', AWS_REGION: 'Ireland' }),
    ).toMatch(/^invalid configuration: AWS_REGION: must be an AWS region/);
  });

  it('when aws-msk-iam comes with a SCRAM password, then the password is refused, unquoted', () => {
    const message = failure({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'aws-msk-iam',
      AWS_REGION: 'us-east-1',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    expect(message).toMatch(/^invalid configuration: KAFKA_SASL_PASSWORD: is only for/);
    expect(message).not.toContain(PASSWORD);
  });

  it('when the Kafka CA file does not exist, then KAFKA_SSL_CA_FILE is named', () => {
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toMatch(
      /^invalid configuration: KAFKA_SSL_CA_FILE: must be a readable file \(got ".*missing\.pem"\)$/,
    );
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: dir })).toMatch(
      /^invalid configuration: KAFKA_SSL_CA_FILE: must be a readable file/,
    );
  });

  it('when the Kafka CA file comes without KAFKA_SSL=true, then it is refused rather than turning TLS on', () => {
    expect(failure({ KAFKA_SSL_CA_FILE: caFile })).toMatch(
      /^invalid configuration: KAFKA_SSL_CA_FILE: needs KAFKA_SSL=true/,
    );
  });

  it('when KAFKA_SSL or the mechanism is not a known value, then it is named', () => {
    expect(failure({ KAFKA_SSL: 'maybe' })).toMatch(/^invalid configuration: KAFKA_SSL: /);
    expect(failure({ KAFKA_SASL_MECHANISM: 'plain' })).toMatch(
      /^invalid configuration: KAFKA_SASL_MECHANISM: must be none, scram-sha-256, scram-sha-512 or aws-msk-iam/,
    );
  });

  it('when the Redis CA file does not exist or REDIS_URL is not rediss://, then REDIS_TLS_CA_FILE is named', () => {
    expect(
      failure({ REDIS_URL: 'rediss://cache:6379', REDIS_TLS_CA_FILE: join(dir, 'missing.pem') }),
    ).toMatch(/^invalid configuration: REDIS_TLS_CA_FILE: must be a readable file/);
    expect(failure({ REDIS_URL: 'redis://cache:6379', REDIS_TLS_CA_FILE: caFile })).toMatch(
      /^invalid configuration: REDIS_TLS_CA_FILE: needs a rediss:\/\/ REDIS_URL/,
    );
  });

  it('when an invalid REDIS_URL carries credentials, then the error hides them', () => {
    const message = failure({ REDIS_URL: `cache.example:6379 user:${PASSWORD}@x` });
    expect(message).toMatch(/^invalid configuration: REDIS_URL: must be a redis:\/\//);
    expect(message).not.toContain(PASSWORD);
    const withScheme = failure({ REDIS_URL: `rediss://user:${PASSWORD}@[bad` });
    expect(withScheme).toContain('(got "rediss://***@[bad")');
  });
});

describe('readConnectionSecurity', () => {
  it('when CA files are configured, then each is read once and handed over as PEM contents', () => {
    const config = loadConsumerConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'consumer',
      KAFKA_SASL_PASSWORD: PASSWORD,
      REDIS_URL: 'rediss://cache:6379',
      REDIS_TLS_CA_FILE: caFile,
    });
    const read: string[] = [];
    const security = readConnectionSecurity(config, (path) => {
      read.push(path);
      return `pem of ${path}`;
    });
    expect(security).toEqual({
      kafka: {
        ssl: true,
        ca: `pem of ${caFile}`,
        sasl: { mechanism: 'scram-sha-512', username: 'consumer', password: PASSWORD },
      },
      redisCa: `pem of ${caFile}`,
    });
    expect(read).toEqual([caFile, caFile]);
  });

  it('when no CA file is configured, then nothing is read', () => {
    const security = readConnectionSecurity(loadProducerConfig({}), () => {
      throw new Error('nothing should be read');
    });
    expect(security).toEqual({ kafka: { ssl: false } });
  });

  it('when the real file is read, then its contents arrive unchanged', () => {
    const config = loadProducerConfig({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile });
    expect(readConnectionSecurity(config).kafka.ca).toContain('BEGIN CERTIFICATE');
  });
});
