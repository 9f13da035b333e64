import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';

/** How the services authenticate to Kafka (contract: "Secure connections"). */
export type KafkaSaslConfig =
  | { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** Amazon MSK IAM: a token signed with the default AWS credential chain (the task role). */
  | { mechanism: 'aws-msk-iam'; region: string };

/** TLS and SASL towards the brokers; the CA is a path, read once by the composition root. */
export interface KafkaSecurityConfig {
  ssl: boolean;
  caFile?: string;
  sasl?: KafkaSaslConfig;
}

/** TLS towards Redis beyond what `rediss://` says: a private CA, read by the composition root. */
export interface RedisTlsConfig {
  caFile?: string;
}

const SCRAM = new Set(['scram-sha-256', 'scram-sha-512']);

// Checked at start so a missing bundle stops the task with one line instead of a TLS error later.
function isReadableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// fields.ts spreads these into commonSchema, so nothing is imported back from it (no cycle).
const flag = z.stringbool({ error: 'must be true or false' }).optional();

const caFile = z.string().refine(isReadableFile, 'must be a readable file').optional();

/** The variables of secure connections, part of what both services read. */
export const connectionSecurityFields = {
  /** TLS to the brokers (required by aws-msk-iam and by KAFKA_SSL_CA_FILE). @defaultValue false */
  KAFKA_SSL: flag,
  /**
   * PEM bundle of a private CA for the brokers; the system's CAs otherwise. Needs KAFKA_SSL=true
   * (it never turns TLS on by itself). @defaultValue none
   */
  KAFKA_SSL_CA_FILE: caFile,
  /**
   * `none`, `scram-sha-256`, `scram-sha-512` (with username and password) or `aws-msk-iam`
   * (a token from the AWS default credential chain, the task role on ECS). @defaultValue none
   */
  KAFKA_SASL_MECHANISM: z
    .enum(['none', 'scram-sha-256', 'scram-sha-512', 'aws-msk-iam'], {
      error: 'must be none, scram-sha-256, scram-sha-512 or aws-msk-iam',
    })
    .default('none'),
  /** SCRAM user; required with a SCRAM mechanism, refused with the others. @defaultValue none */
  KAFKA_SASL_USERNAME: z.string().optional(),
  /** SCRAM password; required with a SCRAM mechanism, refused with the others. @defaultValue none */
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /**
   * The AWS region the MSK IAM token is signed for; set by ECS. Required with aws-msk-iam.
   * @defaultValue none
   */
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2,}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1')
    .optional(),
  /** PEM bundle of a private CA for Redis; needs a `rediss://` REDIS_URL. @defaultValue none */
  REDIS_TLS_CA_FILE: caFile,
};

type SecurityInput = {
  KAFKA_SSL?: boolean | undefined;
  KAFKA_SSL_CA_FILE?: string | undefined;
  KAFKA_SASL_MECHANISM: 'none' | 'scram-sha-256' | 'scram-sha-512' | 'aws-msk-iam';
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
  AWS_REGION?: string | undefined;
  REDIS_URL: string;
  REDIS_TLS_CA_FILE?: string | undefined;
  NODE_ENV?: string | undefined;
};

/**
 * The combinations no single variable can refuse. Each issue names one variable and never
 * quotes a value: loadConfig does not echo secrets either.
 */
export function refineConnectionSecurity(config: SecurityInput, context: z.RefinementCtx): void {
  const issue = (variable: keyof SecurityInput, message: string) =>
    context.addIssue({ code: 'custom', path: [variable], message });
  const mechanism = config.KAFKA_SASL_MECHANISM;
  if (SCRAM.has(mechanism)) {
    if (config.KAFKA_SASL_USERNAME === undefined) {
      issue('KAFKA_SASL_USERNAME', `is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    }
    if (config.KAFKA_SASL_PASSWORD === undefined) {
      issue('KAFKA_SASL_PASSWORD', `is required with KAFKA_SASL_MECHANISM=${mechanism}`);
    }
  } else {
    // Credentials with no SCRAM mechanism mean a forgotten mechanism: the service would connect
    // without them, so refuse rather than guess.
    for (const variable of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (config[variable] !== undefined) {
        issue(variable, `is only for KAFKA_SASL_MECHANISM=scram-sha-256 or scram-sha-512`);
      }
    }
  }
  if (mechanism === 'aws-msk-iam') {
    if (config.KAFKA_SSL !== true) {
      issue(
        'KAFKA_SSL',
        'must be true with KAFKA_SASL_MECHANISM=aws-msk-iam (MSK IAM is TLS-only)',
      );
    }
    if (config.AWS_REGION === undefined) {
      issue('AWS_REGION', 'is required with KAFKA_SASL_MECHANISM=aws-msk-iam');
    }
  }
  if (config.KAFKA_SSL_CA_FILE !== undefined && config.KAFKA_SSL !== true) {
    issue('KAFKA_SSL_CA_FILE', 'needs KAFKA_SSL=true');
  }
  if (config.REDIS_TLS_CA_FILE !== undefined && !config.REDIS_URL.startsWith('rediss://')) {
    issue('REDIS_TLS_CA_FILE', 'needs a rediss:// REDIS_URL');
  }
  // Plaintext stays allowed in production (the bench and the process tests run the services
  // so against the local stack); credentials over it are not: Redis' AUTH would carry the
  // password in the clear, and a SCRAM user means a broker that has a TLS listener (MSK's
  // SCRAM listener is TLS only) with the data in the clear beside it.
  if (config.NODE_ENV === 'production') {
    if (SCRAM.has(mechanism) && config.KAFKA_SSL !== true) {
      issue(
        'KAFKA_SSL',
        `must be true with KAFKA_SASL_MECHANISM=${mechanism} when NODE_ENV=production`,
      );
    }
    if (config.REDIS_URL.startsWith('redis://') && hasCredentials(config.REDIS_URL)) {
      issue(
        'REDIS_URL',
        'must be rediss:// (TLS) when it carries a password and NODE_ENV=production',
      );
    }
  }
}

function hasCredentials(url: string): boolean {
  return URL.canParse(url) && new URL(url).password !== '';
}

/** The typed, frozen settings the composition roots hand to the Kafka connection and Redis. */
export function connectionSecurity(config: SecurityInput): {
  kafkaSecurity: Readonly<KafkaSecurityConfig>;
  redisTls: Readonly<RedisTlsConfig>;
} {
  const mechanism = config.KAFKA_SASL_MECHANISM;
  let sasl: KafkaSaslConfig | undefined;
  if (mechanism === 'scram-sha-256' || mechanism === 'scram-sha-512') {
    sasl = {
      mechanism,
      username: config.KAFKA_SASL_USERNAME ?? '',
      password: config.KAFKA_SASL_PASSWORD ?? '',
    };
  } else if (mechanism === 'aws-msk-iam') {
    sasl = { mechanism, region: config.AWS_REGION ?? '' };
  }
  return {
    kafkaSecurity: Object.freeze({
      ssl: config.KAFKA_SSL ?? false,
      ...(config.KAFKA_SSL_CA_FILE === undefined ? {} : { caFile: config.KAFKA_SSL_CA_FILE }),
      ...(sasl === undefined ? {} : { sasl: Object.freeze(sasl) }),
    }),
    redisTls: Object.freeze(
      config.REDIS_TLS_CA_FILE === undefined ? {} : { caFile: config.REDIS_TLS_CA_FILE },
    ),
  };
}

/** The connection settings with the CA bundles read: what the clients are built from. */
export interface ConnectionSecurity {
  /** For the Kafka connection's `security`: the CA as PEM contents. */
  kafka: { ssl: boolean; ca?: string; sasl?: KafkaSaslConfig };
  /** The Redis CA bundle's PEM contents, for every client's TLS options. */
  redisCa?: string;
}

/**
 * Reads the CA bundles the configuration names, once, when the composition root starts (never
 * on import): every client of the process then gets the same contents.
 */
export function readConnectionSecurity(
  config: { kafkaSecurity: Readonly<KafkaSecurityConfig>; redisTls: Readonly<RedisTlsConfig> },
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ConnectionSecurity {
  const { caFile, ...kafka } = config.kafkaSecurity;
  const redisCaFile = config.redisTls.caFile;
  return {
    kafka: caFile === undefined ? kafka : { ...kafka, ca: readFile(caFile) },
    ...(redisCaFile === undefined ? {} : { redisCa: readFile(redisCaFile) }),
  };
}
