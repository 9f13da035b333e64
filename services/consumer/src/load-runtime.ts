import { type ConsumerConfig, loadConsumerConfig, readConnectionSecurity } from '@kafka-ecs/config';
import { createKafkaConnection, type KafkaConnection } from '@kafka-ecs/kafka';
import type { RetryPolicy } from '@kafka-ecs/retry';
import { createLogger, type Logger, type RedisConnectionSettings } from '@kafka-ecs/service-kit';

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
