export { closeConnectionsWhenClosing } from './closing-connections.ts';
export { routeConsoleToLogger } from './console-to-logger.ts';
export { logUncaughtErrors } from './crash-log.ts';
export { createGraphqlErrorMasker, type GraphqlErrorMaskerOptions } from './graphql-errors.ts';
export {
  createGraphqlIdePage,
  type GraphiqlAssets,
  type GraphqlIdeOptions,
  type GraphqlIdePage,
  wantsGraphqlIde,
} from './graphql-ide.ts';
export { type GraphqlLimits, graphqlLimitRules } from './graphql-limits.ts';
export { type ReadinessCheck, registerHealthRoutes } from './health-routes.ts';
export { type HttpClientLimits, httpClientLimits } from './http-limits.ts';
export { type LingeringCloseOptions, lingerOnUnreadBody } from './lingering-close.ts';
export { createLogger, type Logger } from './logger.ts';
export {
  createMetricsServer,
  METRICS_PATH,
  type MetricsServer,
  type MetricsServerOptions,
} from './metrics-server.ts';
export {
  createRedisConnection,
  type RedisClient,
  type RedisConnectionSettings,
  RedisNotReadyError,
  redisReady,
} from './redis-connection.ts';
export { logRedisConnection, type RedisConnectionEvents } from './redis-connection-log.ts';
export { type RedisTlsOptions, redisErrorForLog, redisTlsOptions } from './redis-options.ts';
export {
  REPLICA_WAIT_MS,
  type WriteConnection,
  waitForReplicas,
  writeConnection,
} from './redis-replicas.ts';
export { onShutdownSignal, SHUTDOWN_DEADLINE_MS, type ShutdownStep } from './shutdown.ts';
export { withTimeout } from './with-timeout.ts';
