import { readFileSync } from 'node:fs';
import type { KafkaSecurity } from './kafka-admin.ts';

export interface TestInfrastructure {
  kafkaBrokers: string[];
  /**
   * The Kafka client library the services' connection runs on in this run (`KAFKA_CLIENT`):
   * the integration suites run once with each (docs/development.md).
   */
  kafkaLibrary: 'kafkajs' | 'platformatic';
  /** TLS and SASL for the brokers; empty for the plain stack. Spread it into a tool's options. */
  kafkaSecurity: KafkaSecurity;
  redisUrl: string;
  /**
   * ioredis's `tls` option when `redisUrl` is `rediss://` (the private CA, if one is named);
   * undefined for plain Redis.
   */
  redisTls?: { ca?: string };
}

/**
 * Where the tests' Kafka and Redis are, and how to reach them: set by the global setup, or by
 * the caller when it points the tests at another stack (docker compose on the same ports, or the
 * secure stack: `set -a; source .stack/secure.env; set +a`). The variables are the contract's.
 */
export function testInfrastructure(env: NodeJS.ProcessEnv = process.env): TestInfrastructure {
  const brokers = env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisCa = pem(env, 'REDIS_TLS_CA_FILE');
  const kafkaLibrary = env.KAFKA_CLIENT || 'kafkajs';
  if (kafkaLibrary !== 'kafkajs' && kafkaLibrary !== 'platformatic') {
    throw new Error('KAFKA_CLIENT must be kafkajs or platformatic');
  }
  return {
    kafkaBrokers: brokers.split(',').map((broker) => broker.trim()),
    kafkaLibrary,
    kafkaSecurity: kafkaSecurity(env),
    redisUrl,
    ...(redisUrl.startsWith('rediss://') ? { redisTls: redisCa ? { ca: redisCa } : {} } : {}),
  };
}

function kafkaSecurity(env: NodeJS.ProcessEnv): KafkaSecurity {
  const security: KafkaSecurity = {};
  if (env.KAFKA_SSL === 'true') {
    const ca = pem(env, 'KAFKA_SSL_CA_FILE');
    security.ssl = ca ? { ca } : true;
  }
  const mechanism = env.KAFKA_SASL_MECHANISM ?? 'none';
  if (mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
    if (!username || !password) {
      throw new Error(
        `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
      );
    }
    security.sasl = { mechanism, username, password };
  } else if (mechanism === 'aws-msk-iam') {
    // IAM signs with the task role's credentials: the services' own client does that; the
    // harness's raw clients and Kafka's Java perf tools speak TLS and SCRAM only.
    throw new Error(
      'KAFKA_SASL_MECHANISM=aws-msk-iam is for the services only: the tests, bench and reliability tools reach Kafka with TLS and SCRAM',
    );
  } else if (mechanism !== 'none' && mechanism !== '') {
    throw new Error(
      'KAFKA_SASL_MECHANISM must be none, scram-sha-256, scram-sha-512 or aws-msk-iam',
    );
  }
  return security;
}

/** The PEM bundle the variable names, read now; undefined when it is unset. */
function pem(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[name];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${name}=${file} cannot be read: ${(error as Error).message}`);
  }
}
