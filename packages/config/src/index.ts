export {
  type ConnectionSecurity,
  type KafkaSaslConfig,
  type KafkaSecurityConfig,
  type RedisTlsConfig,
  readConnectionSecurity,
} from './connection-security.ts';
export {
  ADMIN_OPERATOR_NAME,
  type ConsumerConfig,
  consumerConfigSchema,
  loadConsumerConfig,
  type OperatorToken,
} from './consumer-config.ts';
export { ConfigError, loadConfig } from './load-config.ts';
export {
  loadProducerConfig,
  type ProducerConfig,
  producerConfigSchema,
} from './producer-config.ts';
export { exitOnStartFailure, type StartFailureOutput } from './start-failure.ts';
