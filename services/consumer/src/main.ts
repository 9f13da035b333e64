// Composition root: the only module that reads the environment, creates clients and listens.
import { setFlagsFromString } from 'node:v8';
import { ADMIN_OPERATOR_NAME, exitOnStartFailure } from '@kafka-ecs/config';
import type { KafkaLibrary } from '@kafka-ecs/kafka';
import { type RetryStep, retryChainMs } from '@kafka-ecs/retry';
import {
  createRedisConnection,
  logRedisConnection,
  logUncaughtErrors,
  onShutdownSignal,
  routeConsoleToLogger,
} from '@kafka-ecs/service-kit';
import { startConsumerService } from './compose.ts';
import {
  COMMAND_REDIS_OPTIONS,
  SUBSCRIBER_REDIS_OPTIONS,
} from './infra/notification-subscriber.ts';
import { prepareTopics } from './infra/topic-check.ts';
import { handlersOf, loadRuntime, retryPolicyOf } from './load-runtime.ts';

/**
 * V8 lets the old generation grow to several times what is live before a full collection, and a
 * consumer behind on its topics allocates steadily, so this factor sets its memory: 1.5 took the
 * consume scenario's peak from 311 to 231 MiB for ~10 % more CPU an event. kafkajs' heap holds
 * less than platformatic's, so it can take 1.75 and stay under the consumer's 200 MiB budget for
 * less CPU; platformatic, over that budget already, keeps 1.5 (the figures: docs/performance.md,
 * "A larger growing factor for kafkajs"). Set here because NODE_OPTIONS refuses this flag; V8
 * reads it at each collection, and ignores it should a later V8 drop it.
 */
const HEAP_GROWING_PERCENT: Record<KafkaLibrary, number> = { kafkajs: 75, platformatic: 50 };

async function main(): Promise<void> {
  const { config, logger, kafka, redisConnection } = loadRuntime(process.env, {
    service: 'consumer',
    clientId: 'consumer-svc',
  });
  // What a library prints with console (graphql-ws: a client's bad WebSocket frame, with its
  // stack), and what ends the process, become JSON lines of this log, not only raw stderr text.
  routeConsoleToLogger(logger);
  logUncaughtErrors(logger);
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT[config.KAFKA_CLIENT]}`);
  const redis = createRedisConnection(redisConnection, COMMAND_REDIS_OPTIONS);
  const subscriber = createRedisConnection(redisConnection, SUBSCRIBER_REDIS_OPTIONS);
  // BullMQ's worker blocks on Redis by design: it must retry commands forever, not fail them.
  const workerConnection = createRedisConnection(redisConnection, { maxRetriesPerRequest: null });
  logRedisConnection(redis, logger, 'redis');
  logRedisConnection(subscriber, logger, 'redis subscriber');
  logRedisConnection(workerConnection, logger, 'redis retry worker');

  const policy = retryPolicyOf(config);
  await prepareTopics({
    kafka,
    logger,
    mode: config.TOPIC_CHECK,
    expected: {
      eventTopics: config.CONSUMER_TOPICS,
      retryTopic: config.RETRY_TOPIC,
      deadLetterTopic: config.DEAD_LETTER_TOPIC,
      partitions: config.KAFKA_TOPIC_PARTITIONS,
      retryChainMs: retryChainMs(policy),
    },
  });

  // ADMIN_TOKEN is the operator `admin`; OPERATOR_TOKENS names the others.
  const operators = [
    ...(config.ADMIN_TOKEN ? [{ name: ADMIN_OPERATOR_NAME, token: config.ADMIN_TOKEN }] : []),
    ...config.OPERATOR_TOKENS,
  ];
  if (operators.length === 0 && config.NODE_ENV !== 'production') {
    // Fine on a laptop; anywhere shared (staging) this leaves replays and dead-letter payloads
    // open to whoever reaches the service.
    logger.warn(
      'no ADMIN_TOKEN or OPERATOR_TOKENS: operator operations are open to anyone (not production)',
    );
  }
  const handlers = handlersOf(config, logger);
  const crashAt = new Set<string>(config.FAULT_INJECT_CRASH_AT);
  const onStep = (step: RetryStep) => {
    if (!crashAt.has(step)) return;
    logger.fatal({ step }, 'FAULT_INJECT_CRASH_AT: killing the process here');
    process.kill(process.pid, 'SIGKILL');
  };

  // Replaced by the ordered shutdown once everything has started; before that, just exit.
  let shutdown = async (exitCode = 1): Promise<void> => process.exit(exitCode);
  const service = await startConsumerService({
    logger,
    kafka,
    redis,
    subscriber,
    groupId: config.CONSUMER_GROUP_ID,
    topics: config.CONSUMER_TOPICS,
    viewPrefix: config.VIEW_KEY_PREFIX,
    redisWaitReplicas: config.REDIS_WAIT_REPLICAS,
    producerEndpoint: config.PRODUCER_SVC_ENDPOINT,
    pingTimeoutMs: config.PING_TIMEOUT_MS,
    ...(config.ALERT_WEBHOOK_URL === undefined
      ? {}
      : {
          alerts: {
            webhookUrl: config.ALERT_WEBHOOK_URL,
            minIntervalMs: config.ALERT_MIN_INTERVAL_MS,
          },
        }),
    port: config.PORT,
    metricsPort: config.METRICS_PORT,
    handlers,
    retry: {
      workerConnection,
      policy,
      topics: { retry: config.RETRY_TOPIC, deadLetter: config.DEAD_LETTER_TOPIC },
      concurrency: config.RETRY_CONCURRENCY,
      jobLockMs: config.RETRY_JOB_LOCK_MS,
      onStep: crashAt.size > 0 ? onStep : undefined,
    },
    auth: {
      tokenSecret: config.TOKEN_SECRET,
      operators,
      production: config.NODE_ENV === 'production',
      readsNeedToken: config.DEAD_LETTER_READS_NEED_TOKEN,
    },
    wsMaxPayloadBytes: config.WS_MAX_PAYLOAD_BYTES,
    httpBodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    graphqlIde: config.GRAPHQL_IDE,
    viewConsumerMembers: config.CONSUMER_GROUP_MEMBERS,
    consumerOptions: {
      sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
      // A consumer kafkajs will not restart leaves a process that only looks healthy: exit 1 so
      // ECS replaces the task.
      onFatal: (error) => {
        logger.fatal({ err: error }, 'the Kafka consumer stopped for good; shutting down');
        void shutdown(1);
      },
    },
  });
  logger.info(
    { url: service.url, metricsUrl: service.metricsUrl, groupId: config.CONSUMER_GROUP_ID },
    'listening',
  );

  shutdown = onShutdownSignal({
    logger,
    steps: [
      ...service.shutdownSteps,
      {
        name: 'redis',
        run: () => Promise.all([redis.quit(), subscriber.quit(), workerConnection.quit()]),
      },
    ],
  });
}

main().catch(exitOnStartFailure('consumer'));
