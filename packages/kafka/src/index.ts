// The public surface: one connection object and the types of what it hands out. The factories
// behind it take client-library objects and stay inside this package.
export type {
  BatchConsumer,
  BatchConsumerOptions,
  BatchHandler,
  BatchResult,
  ConsumedRecord,
  RecordBatch,
} from './batch-consumer.ts';
export { isKafkaError } from './client.ts';
export {
  createKafkaConnection,
  KAFKA_LIBRARIES,
  type KafkaConnection,
  type KafkaConnectionOptions,
  type KafkaLibrary,
} from './connection.ts';
export {
  type GroupAdmin,
  type PartitionLag,
  partitionKey,
  type ReplayRange,
  replayRange,
  waitForCommitted,
} from './group-admin.ts';
export type { Logger } from './logger.ts';
export {
  type BatchReport,
  type OutgoingRecord,
  PublishError,
  type Publisher,
  type PublisherOptions,
} from './publisher.ts';
export type { KafkaSasl, KafkaSecurity } from './security.ts';
export type { TopicDescription, TopicSpec } from './topic-admin.ts';
export type {
  GroupMember,
  OffsetCommit,
  RawRecord,
  TransactionalProducer,
  TransactionalProducerOptions,
} from './transactional-producer.ts';
