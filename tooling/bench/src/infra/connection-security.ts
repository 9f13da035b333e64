import type { KafkaSecurity } from '@kafka-ecs/kafka';
import { type TestInfrastructure, testInfrastructure } from '@kafka-ecs/testing';

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
  /** For the bench's product-side Kafka connections (publish worker, retry publisher). */
  kafka: KafkaSecurity;
  /** For its raw clients (harness admin and readers) and Kafka's Java perf tools. */
  tools: TestInfrastructure['kafkaSecurity'];
  /** Spread into every Redis client's options: TLS with the private CA, if one is named. */
  redisTls: { tls?: { ca?: string } };
}

/**
 * The bench's settings from the variables the services read, through the harness's one reading
 * of them (`testInfrastructure`: TLS and SCRAM, a CA that cannot be read or SCRAM without a
 * password refused with the variable's name and never a value). The services the bench starts
 * check everything again at their start.
 */
export function benchConnections(
  env: Record<string, string | undefined>,
  infrastructure: (
    env: Record<string, string | undefined>,
  ) => TestInfrastructure = testInfrastructure,
): BenchConnections {
  const serviceEnv: Record<string, string> = {};
  for (const name of SECURITY_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') serviceEnv[name] = value;
  }
  const { kafkaSecurity: tools, redisTls } = infrastructure(env);
  const { ssl, sasl } = tools;
  return {
    secured: ssl !== undefined || sasl !== undefined,
    serviceEnv,
    kafka: {
      ssl: ssl !== undefined,
      ...(ssl === undefined || ssl === true ? {} : { ca: ssl.ca }),
      ...(sasl === undefined ? {} : { sasl }),
    },
    tools,
    redisTls: redisTls === undefined ? {} : { tls: redisTls },
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
