import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchConnections, benchEndpoints } from './connection-security.ts';

const STACK = { kafkaBrokers: '127.0.0.1:9092', redisUrl: 'redis://127.0.0.1:6379' };

describe('benchConnections', () => {
  let dir: string;
  let ca: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-connections-'));
    ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'pem of the stack CA');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when nothing is set, then the clients are plain and the services get no variable', () => {
    const connections = benchConnections({});
    expect(connections).toEqual({
      secured: false,
      serviceEnv: {},
      kafka: { ssl: false },
      tools: {},
      redisTls: {},
    });
    expect(benchEndpoints(connections, {}, STACK)).toEqual({
      brokers: ['127.0.0.1:9092'],
      redisUrl: 'redis://127.0.0.1:6379',
    });
  });

  it('when the secure stack is named, then its settings reach the clients, the tools, the services and the endpoints', () => {
    const env = {
      KAFKA_BROKERS: '127.0.0.1:19093',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'bench',
      KAFKA_SASL_PASSWORD: 'secret',
      REDIS_URL: 'rediss://default:secret@127.0.0.1:16380',
      REDIS_TLS_CA_FILE: ca,
      UNRELATED: 'x',
    };
    const connections = benchConnections(env);
    const sasl = { mechanism: 'scram-sha-512', username: 'bench', password: 'secret' };
    expect(connections.secured).toBe(true);
    expect(connections.kafka).toEqual({ ssl: true, ca: 'pem of the stack CA', sasl });
    expect(connections.tools).toEqual({ ssl: { ca: 'pem of the stack CA' }, sasl });
    expect(connections.redisTls).toEqual({ tls: { ca: 'pem of the stack CA' } });
    expect(connections.serviceEnv).toEqual({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'bench',
      KAFKA_SASL_PASSWORD: 'secret',
      REDIS_TLS_CA_FILE: ca,
    });
    expect(benchEndpoints(connections, env)).toEqual({
      brokers: ['127.0.0.1:19093'],
      redisUrl: 'rediss://default:secret@127.0.0.1:16380',
    });
  });

  it('when a combination cannot work, then the error names the variables and no value', () => {
    expect(() =>
      benchConnections({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'bench' }),
    ).toThrow(
      'KAFKA_SASL_MECHANISM=scram-sha-256 needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
    expect(() => benchConnections({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      /^KAFKA_SASL_MECHANISM must be none/,
    );
    expect(() =>
      benchConnections({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }),
    ).toThrow(/^KAFKA_SSL_CA_FILE=.*missing\.pem cannot be read/);
    const secured = benchConnections({ KAFKA_SSL: 'true' });
    expect(() => benchEndpoints(secured, { REDIS_URL: 'rediss://u:secret@h:6379' })).toThrow(
      /need KAFKA_BROKERS and REDIS_URL too$/,
    );
  });

  it('when aws-msk-iam is named, then the bench refuses at once and says what it speaks', () => {
    // Its admin, readers and Kafka's Java tools have no IAM signer; only the services do.
    expect(() =>
      benchConnections({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'aws-msk-iam',
        AWS_REGION: 'eu-west-1',
      }),
    ).toThrow(/^KAFKA_SASL_MECHANISM=aws-msk-iam is for the services only/);
  });
});
