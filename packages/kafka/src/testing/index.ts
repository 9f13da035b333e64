// Test doubles of this package's public surface, for unit tests of the code that receives a
// KafkaConnection. Imported as `@kafka-ecs/kafka/testing`, never by production code.
export { type FaultPoint, InMemoryKafkaError } from './faults.ts';
export type { InMemoryBatchConsumer } from './in-memory-batch-consumer.ts';
export {
  createInMemoryKafka,
  type InMemoryKafka,
  type InMemoryKafkaOptions,
} from './in-memory-kafka.ts';
