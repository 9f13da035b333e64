import { type ConsumerConfig, loadConsumerConfig, readConnectionSecurity } from '@kafka-ecs/config';
import { createKafkaConnection, type KafkaConnection } from '@kafka-ecs/kafka';
import {
  createLogger,
  type Logger,
  type RedisTlsOptions,
  redisTlsOptions,
} from '@kafka-ecs/service-kit';

export interface ConsumerRuntime {
  config: ConsumerConfig;
  logger: Logger;
  kafka: KafkaConnection;
  /** What every Redis client of the process adds to its options (TLS with a private CA). */
  redisTls: RedisTlsOptions;
}

/**
 * What each consumer entry point (the service, the rebuild command) starts from: the validated
 * configuration, a logger, the Kafka connection and the Redis TLS options. One place, so a
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
  return { config, logger, kafka, redisTls: redisTlsOptions(config.REDIS_URL, security.redisCa) };
}
