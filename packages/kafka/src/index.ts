export {
  type BatchConsumer,
  type BatchConsumerOptions,
  type BatchHandler,
  type ConsumedRecord,
  createBatchConsumer,
  type RecordBatch,
} from './batch-consumer.ts';
export { createKafkaClient, type KafkaClientOptions } from './client.ts';
export {
  createGroupAdmin,
  type GroupAdmin,
  type PartitionLag,
  partitionKey,
} from './group-admin.ts';
export type { Logger } from './logger.ts';
