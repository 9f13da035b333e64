import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from './logger.ts';
import { type KafkaSecurity, kafkaSecurityOptions } from './security.ts';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Bound on opening one broker connection. @defaultValue 3_000 */
  connectionTimeoutMs?: number;
  /** Bound on one request to a broker. @defaultValue 10_000 */
  requestTimeoutMs?: number;
  /**
   * Retries of connecting and of metadata requests. Bounded callers (a publish that must answer
   * within seconds) pass a short schedule so nothing keeps retrying after they gave up.
   * @defaultValue kafkajs' (5 retries, 300 ms initial, 30 s max)
   */
  retry?: { retries: number; initialRetryTime?: number; maxRetryTime?: number };
  /** TLS and SASL towards the brokers. @defaultValue plaintext, no SASL */
  security?: KafkaSecurity;
}

/**
 * The kafkajs client, with its logs routed into the service's structured logger. Internal to
 * this package: services use the create* factories, never kafkajs types, so replacing the client
 * library touches this package only.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const { logger } = options;
  return new Kafka({
    brokers: options.brokers,
    clientId: options.clientId,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    ...(options.retry ? { retry: options.retry } : {}),
    ...kafkaSecurityOptions(options.security),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        const entry = { kafka: rest };
        if (level === logLevel.ERROR) logger.error(entry, message);
        else if (level === logLevel.WARN) logger.warn(entry, message);
        else if (level === logLevel.INFO) logger.info(entry, message);
        else logger.debug(entry, message);
      },
  });
}

/**
 * True when either Kafka client library raised `error` (a broker down, a request timed out, a
 * transaction fenced): callers tell Kafka's failures from their own without knowing the
 * library's error names.
 */
export function isKafkaError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // kafkajs names its errors KafkaJS*; @platformatic/kafka gives each a PLT_KFK_* code (read
  // here rather than with its GenericError.isGenericError, whose import would load the library).
  const { code } = error as { code?: unknown };
  return (
    error.name.startsWith('KafkaJS') || (typeof code === 'string' && code.startsWith('PLT_KFK_'))
  );
}
