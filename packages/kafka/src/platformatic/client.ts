import type { BaseOptions, SASLOptions } from '@platformatic/kafka';
import type { KafkaSecurity } from '../security.ts';
import { type MskIamSigner, signWithDefaultCredentials } from '../security.ts';

export interface PlatformaticClientOptions {
  brokers: string[];
  clientId: string;
  /** Bound on opening one broker connection. @defaultValue 3_000 */
  connectionTimeoutMs?: number;
  /** Bound on one request to a broker. @defaultValue 10_000 */
  requestTimeoutMs?: number;
  /**
   * Retries of a failed request, with a fixed pause. Bounded callers pass few, so nothing keeps
   * retrying after they gave up. @defaultValue 3 retries, 300 ms apart
   */
  retry?: { retries: number; delayMs: number };
  security?: KafkaSecurity;
}

/**
 * The settings every @platformatic/kafka client of a connection shares. Internal to this
 * package, like kafkajs' client: services never see either library's types.
 */
export function platformaticBaseOptions(options: PlatformaticClientOptions): BaseOptions {
  return {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    connectTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    timeout: options.requestTimeoutMs ?? 10_000,
    retries: options.retry?.retries ?? 3,
    retryDelay: options.retry?.delayMs ?? 300,
    // Topics are created with their partition count by the stack or ensureTopics, never by a
    // first publish or fetch with the broker's default of one partition.
    autocreateTopics: false,
    ...platformaticSecurityOptions(options.security),
  };
}

/**
 * The library's `tls` and `sasl` settings for `security`. Pure: the IAM provider calls `signer`
 * each time a connection (re)authenticates, so an expired token is replaced by a new one.
 */
export function platformaticSecurityOptions(
  security: KafkaSecurity | undefined,
  signer: MskIamSigner = signWithDefaultCredentials,
): Pick<BaseOptions, 'tls' | 'sasl'> {
  if (!security) return {};
  const options: Pick<BaseOptions, 'tls' | 'sasl'> = {};
  if (security.ssl) options.tls = security.ca ? { ca: [security.ca] } : {};
  const sasl = security.sasl;
  if (sasl?.mechanism === 'aws-msk-iam') {
    const { region } = sasl;
    options.sasl = {
      mechanism: 'OAUTHBEARER',
      token: async () => (await signer({ region })).token,
    } satisfies SASLOptions;
  } else if (sasl) {
    options.sasl = {
      mechanism: sasl.mechanism === 'scram-sha-256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512',
      username: sasl.username,
      password: sasl.password,
    };
  }
  return options;
}
