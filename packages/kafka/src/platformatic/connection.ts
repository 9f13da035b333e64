import { isKafkaError } from '../client.ts';
import type { KafkaConnection, KafkaConnectionOptions } from '../connection.ts';
import { createPlatformaticBatchConsumer } from './batch-consumer.ts';
import { createPlatformaticGroupAdmin } from './group-admin.ts';
import { createPlatformaticPublisher } from './publisher.ts';
import { ensureAndDescribeTopicsPlatformatic, ensureTopicsPlatformatic } from './topic-admin.ts';
import { createPlatformaticTransactionalProducer } from './transactional-producer.ts';

/**
 * The connection on @platformatic/kafka. Each piece builds its own client (a consumer, a
 * producer and an admin are different classes there) from the same settings. Loaded by
 * `createKafkaConnection` only when a process asks for this library.
 */
export function createPlatformaticConnection(options: KafkaConnectionOptions): KafkaConnection {
  const { brokers, clientId, logger, security } = options;
  const client = (role: string) => ({ brokers, clientId: `${clientId}-${role}`, security });
  return {
    brokers,
    publisher: (settings = {}) =>
      createPlatformaticPublisher({ ...settings, brokers, clientId, logger, security }),
    batchConsumer: (consumer) =>
      createPlatformaticBatchConsumer({ logger, ...consumer, client: client('consumer') }),
    transactionalProducer: (producer) =>
      createPlatformaticTransactionalProducer({
        ...producer,
        client: client('transactions'),
        logger,
      }),
    groupAdmin: () => createPlatformaticGroupAdmin(client('admin')),
    ensureTopics: (topics) => ensureTopicsPlatformatic({ ...client('admin'), logger, topics }),
    ensureAndDescribeTopics: (topics, configNames) =>
      ensureAndDescribeTopicsPlatformatic({ ...client('admin'), logger, topics, configNames }),
    isKafkaError,
  };
}
