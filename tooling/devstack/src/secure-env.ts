import { envFileText } from './env-file.ts';
import type { StackCredentials } from './secure-credentials.ts';
import type { StackCertificates } from './secure-tls.ts';

/** `.stack/secure.env`: the contract's variables for the secure stack (see envFileText). */
export function secureEnv(stack: {
  kafkaBrokers: string;
  redisAddress: string;
  certificates: StackCertificates;
  credentials: StackCredentials;
}): string {
  const { kafka, redis } = stack.credentials;
  const variables: [string, string][] = [
    ['KAFKA_BROKERS', stack.kafkaBrokers],
    ['KAFKA_SSL', 'true'],
    ['KAFKA_SSL_CA_FILE', stack.certificates.caFile],
    ['KAFKA_SASL_MECHANISM', 'scram-sha-512'],
    ['KAFKA_SASL_USERNAME', kafka.username],
    ['KAFKA_SASL_PASSWORD', kafka.password],
    [
      'REDIS_URL',
      `rediss://${encodeURIComponent(redis.username)}:${encodeURIComponent(redis.password)}@${stack.redisAddress}`,
    ],
    ['REDIS_TLS_CA_FILE', stack.certificates.caFile],
  ];
  return envFileText(variables);
}
