import { readFileSync } from 'node:fs';
import type { KafkaListenerSecurity } from './kafka-broker.ts';
import type { StackCredentials } from './secure-credentials.ts';
import type { StackCertificates } from './secure-tls.ts';

const MECHANISM = 'SCRAM-SHA-512';

/**
 * A SASL_SSL listener with SCRAM-SHA-512 as its one mechanism. Authentication only: no
 * authorizer, so any authenticated user may do anything (what the secure stack checks is that
 * nobody else gets in). Both SCRAM users are stored at format time, so they exist before the
 * listener accepts its first connection; the broker logs in as its own user on the inter-broker
 * listener (which a single node only uses to check its config) and trusts the stack's CA there.
 */
export function kafkaListenerSecurity(
  certificates: StackCertificates,
  credentials: StackCredentials,
): KafkaListenerSecurity {
  const { broker, kafka } = credentials;
  return {
    properties: [
      `sasl.enabled.mechanisms=${MECHANISM}`,
      `sasl.mechanism.inter.broker.protocol=${MECHANISM}`,
      `listener.name.sasl_ssl.${MECHANISM.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${broker.username}" password="${broker.password}";`,
      // Kafka reads PEM stores itself (KIP-651): no keytool, no keystore password.
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${certificates.keystoreFile}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${certificates.caFile}`,
      'ssl.client.auth=none',
    ],
    formatArgs: [broker, kafka].flatMap((user) => [
      '--add-scram',
      `${MECHANISM}=[name=${user.username},password=${user.password}]`,
    ]),
    client: {
      ssl: { ca: readFileSync(certificates.caFile, 'utf8') },
      sasl: { mechanism: 'scram-sha-512', ...kafka },
    },
  };
}
