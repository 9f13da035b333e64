export {
  type ConnectionSecurity,
  type KafkaSaslConfig,
  type KafkaSecurityConfig,
  type RedisTlsConfig,
  readConnectionSecurity,
} from './connection-security.ts';
export {
  type ConsumerConfig,
  consumerConfigSchema,
  loadConsumerConfig,
} from './consumer-config.ts';
export { ConfigError, loadConfig } from './load-config.ts';
export {
  loadProducerConfig,
  type ProducerConfig,
  producerConfigSchema,
} from './producer-config.ts';
export { exitOnStartFailure, type StartFailureOutput } from './start-failure.ts';
