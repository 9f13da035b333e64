// Composition root: the only module that reads the environment, creates clients and listens.
import { ConfigError, loadConsumerConfig } from '@kafka-ecs/config';
import { createKafkaClient } from '@kafka-ecs/kafka';
import { createLogger, onShutdownSignal } from '@kafka-ecs/service-kit';
import { Redis } from 'ioredis';
import { startConsumerService } from './service.ts';

async function main(): Promise<void> {
  const config = loadConsumerConfig(process.env);
  const logger = createLogger({ service: 'consumer', level: config.LOG_LEVEL });
  const kafka = createKafkaClient({
    brokers: config.KAFKA_BROKERS,
    clientId: 'consumer-svc',
    logger,
  });
  const redisOptions = {
    // Fail a command quickly during an outage: the consumer then holds its batch and retries,
    // and a GraphQL read answers with an error instead of hanging.
    maxRetriesPerRequest: 1,
    commandTimeout: 5_000,
  };
  const redis = new Redis(config.REDIS_URL, redisOptions);
  const subscriber = new Redis(config.REDIS_URL, redisOptions);
  for (const [name, client] of [
    ['redis', redis],
    ['redis subscriber', subscriber],
  ] as const) {
    client.on('error', (error) => logger.warn({ err: error, client: name }, 'redis error'));
  }

  // Replaced by the ordered shutdown once everything has started; before that, just exit.
  let shutdown = async (exitCode = 1): Promise<void> => process.exit(exitCode);
  const service = await startConsumerService({
    logger,
    kafka,
    redis,
    subscriber,
    groupId: config.CONSUMER_GROUP_ID,
    topics: config.CONSUMER_TOPICS,
    viewPrefix: config.VIEW_KEY_PREFIX,
    producerEndpoint: config.PRODUCER_SVC_ENDPOINT,
    pingTimeoutMs: config.PING_TIMEOUT_MS,
    port: config.PORT,
    consumerOptions: {
      sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
      // A consumer kafkajs will not restart leaves a process that only looks healthy: exit 1 so
      // ECS replaces the task.
      onFatal: (error) => {
        logger.fatal({ err: error }, 'the Kafka consumer stopped for good; shutting down');
        void shutdown(1);
      },
    },
  });
  logger.info({ url: service.url, groupId: config.CONSUMER_GROUP_ID }, 'listening');

  shutdown = onShutdownSignal({
    logger,
    steps: [
      ...service.shutdownSteps,
      { name: 'redis', run: () => Promise.all([redis.quit(), subscriber.quit()]) },
    ],
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('consumer failed to start:', error);
  }
  process.exit(1);
});
