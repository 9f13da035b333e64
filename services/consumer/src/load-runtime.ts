import { type ConsumerConfig, loadConsumerConfig } from '@kafka-ecs/config';
import { createKafkaConnection, type KafkaConnection } from '@kafka-ecs/kafka';
import { createLogger, type Logger } from '@kafka-ecs/service-kit';

export interface ConsumerRuntime {
  config: ConsumerConfig;
  logger: Logger;
  kafka: KafkaConnection;
}

/**
 * What each consumer entry point (the service, the rebuild command) starts from: the validated
 * configuration, a logger and the Kafka connection. One place, so a connection setting added to
 * the configuration reaches every process that connects.
 */
export function loadRuntime(
  env: Record<string, string | undefined>,
  names: { service: string; clientId: string },
): ConsumerRuntime {
  const config = loadConsumerConfig(env);
  const logger = createLogger({ service: names.service, level: config.LOG_LEVEL });
  const kafka = createKafkaConnection({
    brokers: config.KAFKA_BROKERS,
    clientId: names.clientId,
    logger,
  });
  return { config, logger, kafka };
}
