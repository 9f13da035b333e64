export { StackError } from './errors.ts';
export type { KafkaVoter } from './kafka-broker.ts';
export { kafkaClasspath } from './kafka-classpath.ts';
export {
  type KafkaCluster,
  type KafkaClusterOptions,
  type KafkaNode,
  kafkaClusterStatus,
  startKafkaCluster,
  stopKafkaCluster,
} from './kafka-cluster.ts';
export { kafkaVersion } from './kafka-version.ts';
export { kafkaPom, repoRoot, stackDir } from './paths.ts';
export { isAlive, stopProcess } from './processes.ts';
export type { RedisNodeView } from './redis-cluster.ts';
export { withProbeClient } from './redis-probe.ts';
export {
  type RedisServerOptions,
  redisAnswers,
  redisDataDir,
  runningRedisPid,
  startRedisServer,
  stopRedisServer,
} from './redis-server.ts';
export {
  type ComponentState,
  classpathCacheFile,
  type StackInfo,
  type StackSettings,
  stackClasspath,
  stackDown,
  stackSettings,
  stackStatus,
  stackUp,
} from './stack.ts';
export {
  type RedisClusterInfo,
  type RedisClusterNodeStatus,
  redisClusterDir,
  redisClusterDown,
  redisClusterEnvFile,
  redisClusterStatus,
  redisClusterUp,
} from './stack-redis-cluster.ts';
export {
  type SecureStackInfo,
  secureEnvFile,
  secureStackDown,
  secureStackStatus,
  secureStackUp,
} from './stack-secure.ts';
export { startTestRedisServers, type TestRedisServers } from './test-redis-servers.ts';
export { ensureTopics } from './topics.ts';
