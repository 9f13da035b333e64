import type { KafkaConfig } from 'kafkajs';

/** How a connection authenticates to the brokers. */
export type KafkaSasl =
  | { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** Amazon MSK IAM: an OAUTHBEARER token signed with the AWS default credential chain. */
  | { mechanism: 'aws-msk-iam'; region: string };

/** TLS and SASL towards the brokers, applied to every client a connection builds. */
export interface KafkaSecurity {
  /** TLS to the brokers. @defaultValue false */
  ssl?: boolean;
  /**
   * PEM bundle of a private CA, its contents (read once at start, not a path); used with `ssl`.
   * @defaultValue the system's CAs
   */
  ca?: string;
  /** @defaultValue none */
  sasl?: KafkaSasl;
}

/** Signs an MSK IAM token for `region`; AWS's signer unless a test passes its own. */
export type MskIamSigner = (options: { region: string }) => Promise<{ token: string }>;

/**
 * AWS's signer with the default credential chain (the task role on ECS). Loaded on first use:
 * the AWS SDK it brings is only paid for by a process that signs.
 */
export const signWithDefaultCredentials: MskIamSigner = async ({ region }) => {
  const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
  return generateAuthToken({ region });
};

/**
 * The client library's `ssl` and `sasl` settings for `security`. Pure: the IAM provider calls
 * `signer` each time the client (re)authenticates, so an expired token is replaced by a new one.
 */
export function kafkaSecurityOptions(
  security: KafkaSecurity | undefined,
  signer: MskIamSigner = signWithDefaultCredentials,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (!security) return {};
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (security.ssl) options.ssl = security.ca ? { ca: [security.ca] } : true;
  const sasl = security.sasl;
  if (sasl?.mechanism === 'aws-msk-iam') {
    const { region } = sasl;
    options.sasl = {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({ value: (await signer({ region })).token }),
    };
  } else if (sasl) {
    const { username, password } = sasl;
    // The two SCRAM names are the client library's own; spelled out so each narrows its type.
    options.sasl =
      sasl.mechanism === 'scram-sha-256'
        ? { mechanism: 'scram-sha-256', username, password }
        : { mechanism: 'scram-sha-512', username, password };
  }
  return options;
}
