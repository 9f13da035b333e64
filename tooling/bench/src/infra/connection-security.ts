import { readFileSync } from 'node:fs';
import type { KafkaSecurity } from '@kafka-ecs/kafka';

/** The contract's secure-connection variables ("Secure connections"), as the services read them. */
export const SECURITY_VARIABLES = [
  'KAFKA_SSL',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'AWS_REGION',
  'REDIS_TLS_CA_FILE',
] as const;

/** How the bench's own clients and the services it starts reach a secured Kafka and Redis. */
export interface BenchConnections {
  /** True when the environment names a secured Kafka: then its brokers and Redis are the run's. */
  secured: boolean;
  /** The variables as set, for the services the bench starts (they get no other environment). */
  serviceEnv: Record<string, string>;
  /** For every Kafka connection the bench makes (publish worker, retry publisher). */
  kafka: KafkaSecurity;
  /** Spread into every Redis client's options: TLS with the private CA, if one is named. */
  redisTls: { tls?: { ca: string[] } };
}

/**
 * The bench's reading of the same environment the services read (the bench is tooling, with no
 * configuration package of its own). Only what its clients need is checked here, naming the
 * variable and never a value; the services it starts check everything again at their start.
 */
export function benchConnections(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): BenchConnections {
  const set = (name: string) => (env[name] === '' ? undefined : env[name]);
  const serviceEnv: Record<string, string> = {};
  for (const name of SECURITY_VARIABLES) {
    const value = set(name);
    if (value !== undefined) serviceEnv[name] = value;
  }
  const ssl = set('KAFKA_SSL') === 'true';
  const mechanism = set('KAFKA_SASL_MECHANISM') ?? 'none';
  const kafka: KafkaSecurity = { ssl };
  const kafkaCa = set('KAFKA_SSL_CA_FILE');
  if (kafkaCa !== undefined) kafka.ca = readFile(kafkaCa);
  if (mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    const username = set('KAFKA_SASL_USERNAME');
    const password = set('KAFKA_SASL_PASSWORD');
    if (username === undefined || password === undefined) {
      throw new Error(
        `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
      );
    }
    kafka.sasl = { mechanism, username, password };
  } else if (mechanism === 'aws-msk-iam') {
    const region = set('AWS_REGION');
    if (region === undefined) throw new Error('KAFKA_SASL_MECHANISM=aws-msk-iam needs AWS_REGION');
    kafka.sasl = { mechanism, region };
  } else if (mechanism !== 'none') {
    throw new Error(
      'KAFKA_SASL_MECHANISM must be none, scram-sha-256, scram-sha-512 or aws-msk-iam',
    );
  }
  const redisCa = set('REDIS_TLS_CA_FILE');
  return {
    secured: ssl || mechanism !== 'none',
    serviceEnv,
    kafka,
    redisTls: redisCa === undefined ? {} : { tls: { ca: [readFile(redisCa)] } },
  };
}

/**
 * Where the run's Kafka and Redis are: the local stack's, unless the environment names a secured
 * Kafka, whose brokers and Redis (KAFKA_BROKERS, REDIS_URL) are then the caller's choice and no
 * local stack is needed.
 */
export function benchEndpoints(
  connections: BenchConnections,
  env: Record<string, string | undefined>,
  stack?: { kafkaBrokers: string; redisUrl: string },
): { brokers: string[]; redisUrl: string } {
  if (!connections.secured) {
    if (!stack) throw new Error('the local stack is needed without a secured Kafka');
    return { brokers: stack.kafkaBrokers.split(','), redisUrl: stack.redisUrl };
  }
  if (!env.KAFKA_BROKERS || !env.REDIS_URL) {
    throw new Error('KAFKA_SSL or KAFKA_SASL_MECHANISM need KAFKA_BROKERS and REDIS_URL too');
  }
  return {
    brokers: env.KAFKA_BROKERS.split(',').map((broker) => broker.trim()),
    redisUrl: env.REDIS_URL,
  };
}
