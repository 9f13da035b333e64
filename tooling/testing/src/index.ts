export { ephemeralStart, freePort } from './free-port.ts';
export {
  type GraphqlError,
  type GraphqlResult,
  graphql,
  outcomeOf,
} from './graphql.ts';
export { groupAssignment, ownedPartitions } from './group-assignment.ts';
export { type HttpReceiver, startHttpReceiver } from './http-receiver.ts';
export { type TestInfrastructure, testInfrastructure } from './infrastructure.ts';
export {
  committedOffsetSum,
  connectRawProducer,
  createTestTopics,
  endOffsetSum,
  followTopic,
  type RawProducer,
  readTopic,
  startGroupAtEnd,
  type TestRecord,
} from './kafka.ts';
export {
  brokerAnswers,
  createKafkaAdmin,
  type KafkaAdmin,
  type KafkaSecurity,
  type KafkaToolOptions,
  type NewTopic,
  offsetSum,
  type PartitionOffsets,
  type PartitionPlacement,
  withKafkaAdmin,
} from './kafka-admin.ts';
export {
  allZero,
  type MetricSample,
  metricValue,
  parseMetrics,
  samplesOf,
  scrapeMetrics,
} from './metrics.ts';
export { deleteKeys, keysOnEveryMaster } from './redis-keys.ts';
export { type CommandResult, runCommand } from './run-command.ts';
export { type ServiceProcess, startServiceProcess } from './service-process.ts';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
export {
  type FollowOptions,
  followTopics,
  type ReadRecord,
  type TopicFollower,
} from './topic-follower.ts';
export { uniqueName } from './unique-name.ts';
export { type WaitForOptions, waitFor } from './wait-for.ts';
