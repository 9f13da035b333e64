import { type ConsumerConfig, loadConsumerConfig, readConnectionSecurity } from '@kafka-ecs/config';
import { createKafkaConnection, type KafkaConnection } from '@kafka-ecs/kafka';
import type { RetryPolicy } from '@kafka-ecs/retry';
import { createLogger, type Logger, type RedisConnectionSettings } from '@kafka-ecs/service-kit';
import { withFaultInjection } from './domain/handlers/fault-injection.ts';
import { type EventHandlers, eventHandlers } from './domain/handlers/index.ts';

export interface ConsumerRuntime {
  config: ConsumerConfig;
  logger: Logger;
  kafka: KafkaConnection;
  /** Where every Redis client of the process connects: URL, cluster or not, private CA. */
  redisConnection: RedisConnectionSettings;
}

/**
 * What each consumer entry point (the service, the rebuild command) starts from: the validated
 * configuration, a logger, the Kafka connection and the Redis connection settings. One place, so a
 * connection setting added to the configuration reaches every process that connects. The CA
 * bundles are read here, once.
 */
export function loadRuntime(
  env: Record<string, string | undefined>,
  names: { service: string; clientId: string },
): ConsumerRuntime {
  const config = loadConsumerConfig(env);
  const logger = createLogger({ service: names.service, level: config.LOG_LEVEL });
  const security = readConnectionSecurity(config);
  const kafka = createKafkaConnection({
    brokers: config.KAFKA_BROKERS,
    clientId: names.clientId,
    logger,
    security: security.kafka,
    library: config.KAFKA_CLIENT,
  });
  const redisConnection = {
    url: config.REDIS_URL,
    cluster: config.REDIS_CLUSTER,
    ...(security.redisCa === undefined ? {} : { ca: security.redisCa }),
  };
  return { config, logger, kafka, redisConnection };
}

/** The retry schedule the configuration sets (RETRY_*). */
export const retryPolicyOf = (config: ConsumerConfig): RetryPolicy => ({
  maxAttempts: config.RETRY_MAX_ATTEMPTS,
  backoffMs: config.RETRY_BACKOFF_MS,
  factor: config.RETRY_BACKOFF_FACTOR,
  maxBackoffMs: config.RETRY_BACKOFF_MAX_MS,
});

/**
 * The handlers every entry point runs, the rebuild's too, so a rebuild fails what the live
 * consumer fails: the real ones, made to fail matching users where FAULT_INJECT_* says so (the
 * configuration drops it in production). A rebuild runs each record once, as a first attempt:
 * there only faults that never pass are injected (an event that applied on a later attempt is
 * in the live view, and must be in the rebuilt one).
 */
export function handlersOf(
  config: ConsumerConfig,
  logger: Logger,
  options: { rebuild?: boolean } = {},
): EventHandlers {
  const pattern = config.FAULT_INJECT_USERNAME_PATTERN;
  const failures = config.FAULT_INJECT_FAILURES;
  if (!pattern || (options.rebuild && failures !== 'always')) return eventHandlers;
  logger.warn({ pattern, failures }, 'fault injection is on');
  return withFaultInjection(eventHandlers, { usernamePattern: new RegExp(pattern), failures });
}
