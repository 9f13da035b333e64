export {
  type BatchConsumer,
  type BatchConsumerOptions,
  type BatchHandler,
  type BatchResult,
  type ConsumedRecord,
  createBatchConsumer,
  type RecordBatch,
} from './batch-consumer.ts';
export { type Batcher, type BatchingOptions, createBatcher } from './batching-publisher.ts';
export { createKafkaClient, isKafkaError, type KafkaClientOptions } from './client.ts';
export {
  createGroupAdmin,
  type GroupAdmin,
  type PartitionLag,
  partitionKey,
} from './group-admin.ts';
export type { Logger } from './logger.ts';
export {
  type BatchReport,
  createPublisher,
  type OutgoingRecord,
  PublishError,
  type Publisher,
  type PublisherOptions,
} from './publisher.ts';
export {
  ensureAndDescribeTopics,
  ensureTopics,
  type TopicDescription,
  type TopicSpec,
} from './topic-admin.ts';
export {
  createTransactionalProducer,
  type OffsetCommit,
  type RawRecord,
  type TransactionalProducer,
} from './transactional-producer.ts';
