import { benchConnections, benchEndpoints } from './connection-security.ts';

const readFile = (path: string) => `pem of ${path}`;
const STACK = { kafkaBrokers: '127.0.0.1:9092', redisUrl: 'redis://127.0.0.1:6379' };

describe('benchConnections', () => {
  it('when nothing is set, then the clients are plain and the services get no variable', () => {
    const connections = benchConnections({}, readFile);
    expect(connections).toEqual({
      secured: false,
      serviceEnv: {},
      kafka: { ssl: false },
      redisTls: {},
    });
    expect(benchEndpoints(connections, {}, STACK)).toEqual({
      brokers: ['127.0.0.1:9092'],
      redisUrl: 'redis://127.0.0.1:6379',
    });
  });

  it('when the secure stack is named, then its settings reach the clients, the services and the endpoints', () => {
    const env = {
      KAFKA_BROKERS: '127.0.0.1:19093',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/stack/ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'bench',
      KAFKA_SASL_PASSWORD: 'secret',
      REDIS_URL: 'rediss://default:secret@127.0.0.1:16380',
      REDIS_TLS_CA_FILE: '/stack/ca.pem',
      UNRELATED: 'x',
    };
    const connections = benchConnections(env, readFile);
    expect(connections.secured).toBe(true);
    expect(connections.kafka).toEqual({
      ssl: true,
      ca: 'pem of /stack/ca.pem',
      sasl: { mechanism: 'scram-sha-512', username: 'bench', password: 'secret' },
    });
    expect(connections.redisTls).toEqual({ tls: { ca: ['pem of /stack/ca.pem'] } });
    expect(connections.serviceEnv).toEqual({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/stack/ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'bench',
      KAFKA_SASL_PASSWORD: 'secret',
      REDIS_TLS_CA_FILE: '/stack/ca.pem',
    });
    expect(benchEndpoints(connections, env)).toEqual({
      brokers: ['127.0.0.1:19093'],
      redisUrl: 'rediss://default:secret@127.0.0.1:16380',
    });
  });

  it('when aws-msk-iam is named, then the region goes with it', () => {
    expect(
      benchConnections(
        { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'aws-msk-iam', AWS_REGION: 'eu-west-1' },
        readFile,
      ).kafka,
    ).toEqual({ ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } });
  });

  it('when a combination cannot work, then the error names the variables and no value', () => {
    expect(() =>
      benchConnections({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'bench' }),
    ).toThrow(
      'KAFKA_SASL_MECHANISM=scram-sha-256 needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
    expect(() => benchConnections({ KAFKA_SASL_MECHANISM: 'aws-msk-iam' })).toThrow(
      'KAFKA_SASL_MECHANISM=aws-msk-iam needs AWS_REGION',
    );
    expect(() => benchConnections({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      /^KAFKA_SASL_MECHANISM must be none/,
    );
    const secured = benchConnections({ KAFKA_SSL: 'true' }, readFile);
    expect(() => benchEndpoints(secured, { REDIS_URL: 'rediss://u:secret@h:6379' })).toThrow(
      /need KAFKA_BROKERS and REDIS_URL too$/,
    );
  });
});
