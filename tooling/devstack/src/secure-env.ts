import type { StackCredentials } from './secure-credentials.ts';
import type { StackCertificates } from './secure-tls.ts';

/**
 * `.stack/secure.env`: the contract's variables for the secure stack, one `KEY=value` a line,
 * for `set -a; source .stack/secure.env; set +a` (or an env file of docker or systemd, hence no
 * quotes unless a value needs them in a shell).
 */
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
  return `${variables.map(([name, value]) => `${name}=${shellWord(value)}`).join('\n')}\n`;
}

/** The value as one shell word: as it is when it is safe so, else single-quoted. */
export function shellWord(value: string): string {
  return /^[\w./:@,+=%-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
