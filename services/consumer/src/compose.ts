import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, filter } from '@graphql-yoga/subscription';
import type { BatchConsumer, BatchConsumerOptions, KafkaConnection } from '@kafka-ecs/kafka';
import {
  createRetrySystem,
  type RetryPolicy,
  type RetrySystem,
  type RouterTopics,
  type StepHook,
} from '@kafka-ecs/retry';
import {
  createMetricsServer,
  type RedisClient,
  redisErrorForLog,
  redisReady,
  type ShutdownStep,
  withTimeout,
} from '@kafka-ecs/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildConsumerApp } from './app.ts';
import { type EventHandlers, eventHandlers } from './domain/handlers/index.ts';
import type { UserView } from './domain/user-view.ts';
import {
  createBearerAuthenticator,
  type OperatorCredential,
} from './entry-points/graphql/auth/bearer-authenticator.ts';
import { createOperatorGuard } from './entry-points/graphql/operator-auth.ts';
import { createGraphqlSchema } from './entry-points/graphql/schema.ts';
import { createRoutingFailureHandler } from './entry-points/kafka/record-failure.ts';
import { createViewBatchProcessor } from './entry-points/kafka/view-batch-processor.ts';
import { createRecordRunner } from './entry-points/retry/record-runner.ts';
import { createWebhookAlerts, type WebhookAlertSettings } from './infra/alerts/webhook-alerts.ts';
import { type ConsumerMetrics, createConsumerMetrics, retryMetricsOf } from './infra/metrics.ts';
import { countListeners } from './infra/notification-listeners.ts';
import { notificationSerializer, notificationSubscriber } from './infra/notification-subscriber.ts';
import { createProducerClient } from './infra/producer-client.ts';
import {
  createRedisViewStore,
  type ViewStore,
  type WriteTarget,
} from './infra/redis-view-store.ts';
import { viewKeys } from './infra/view-keys.ts';
import { createViewOpener } from './infra/view-opener.ts';
import { createViewRegistry, type ViewRegistry } from './infra/view-registry.ts';

/** As the shutdown's deadline: past it, the caller gets the start's error (main.ts exits 1). */
const ROLLBACK_DEADLINE_MS = 10_000;

/**
 * Longest the start waits for Redis: long enough for a cache that comes up with the service
 * (a node restarting, a cluster electing), short of ECS' health-check grace, so a task that
 * cannot reach Redis exits with the reason instead of being killed without one.
 */
const REDIS_START_TIMEOUT_MS = 30_000;

export interface ConsumerServiceOptions {
  logger: Logger;
  /** The process's Kafka connection (createKafkaConnection). */
  kafka: KafkaConnection;
  /** Commands: view writes, reads, notifications published by the apply script. */
  redis: RedisClient;
  /** A connection of its own for pub/sub (a subscribed connection can run nothing else). */
  subscriber: RedisClient;
  groupId: string;
  topics: string[];
  viewPrefix: string;
  /**
   * Replicas of each Redis master that must hold a batch's writes (view, failure path) before its
   * offsets are committed (REDIS_WAIT_REPLICAS). @defaultValue 0
   */
  redisWaitReplicas?: number;
  producerEndpoint: string;
  pingTimeoutMs: number;
  port: number;
  /** Port of `GET /metrics` (METRICS_PORT); 0 = any free port. */
  metricsPort: number;
  /** Where both servers listen. @defaultValue 0.0.0.0 */
  host?: string;
  /** One handler per event type. @defaultValue eventHandlers (main.ts adds fault injection) */
  handlers?: EventHandlers;
  /** The failure path: retry side-topic, delayed retries, dead-letter queue. */
  retry: {
    /** BullMQ's worker connection: a client of its own with `maxRetriesPerRequest: null`. */
    workerConnection: RedisClient;
    policy: RetryPolicy;
    topics: RouterTopics;
    concurrency: number;
    jobLockMs?: number;
    /** Called at each step of the failure path (fault injection). */
    onStep?: StepHook;
  };
  /** Who may read what (contract, "Who may read what"). */
  auth: {
    /** The producer's TOKEN_SECRET: login tokens verify with it. */
    tokenSecret: string;
    /** ADMIN_TOKEN (as `admin`) and OPERATOR_TOKENS; none = operator mutations open outside production. */
    operators: readonly OperatorCredential[];
    production: boolean;
    /** Dead-letter queries need an operator too (DEAD_LETTER_READS_NEED_TOKEN). */
    readsNeedToken: boolean;
  };
  /** Largest GraphQL-over-WebSocket message. @defaultValue 65_536 */
  wsMaxPayloadBytes?: number;
  /** WebSocket connections held at once. @defaultValue WS_MAX_CONNECTIONS (graphql-server.ts) */
  wsMaxConnections?: number;
  /** Largest HTTP request body (413 past it). @defaultValue 65_536 */
  httpBodyLimitBytes?: number;
  /** Dead-letter alerts to ALERT_WEBHOOK_URL. @defaultValue none (no alerts) */
  alerts?: WebhookAlertSettings;
  /** Serve the GraphQL IDE to browsers at GET /graphql (GRAPHQL_IDE). @defaultValue false */
  graphqlIde?: boolean;
  /**
   * Longest a failed start spends stopping what had started before it rethrows anyway.
   * @defaultValue 10_000
   */
  rollbackDeadlineMs?: number;
  /** Longest the start waits for the command connection to be ready. @defaultValue 30_000 */
  redisStartTimeoutMs?: number;
  /** Members of the view's group this process runs (kafkajs only). @defaultValue 1 */
  viewConsumerMembers?: number;
  /** Consumer tuning (tests shorten the session). */
  consumerOptions?: Pick<
    BatchConsumerOptions,
    | 'partitionsConsumedConcurrently'
    | 'sessionTimeoutMs'
    | 'heartbeatIntervalMs'
    | 'maxBackoffMs'
    | 'onFatal'
  >;
}

/** The read side, wired and not started: nothing has connected, consumed or listened yet. */
export interface ComposedConsumer {
  app: FastifyInstance;
  consumer: BatchConsumer;
  retry: RetrySystem;
  metrics: ConsumerMetrics;
  store: ViewStore;
  registry: ViewRegistry;
  /** In reverse start order: stop HTTP (subscriptions, Apollo) and metrics, then the consumer. */
  shutdownSteps: ShutdownStep[];
  /**
   * The I/O, in order: Redis ready → view registry (Redis) → failure path (its producer, side-topic and
   * dead-letter consumers, retry worker) → main consumer group → HTTP → metrics. Resolves with
   * both servers' URLs. If a step fails, what had started is stopped again, latest first (a stop
   * that fails is logged), and the step's error is rethrown; `stop()` still releases the rest.
   */
  start(): Promise<ConsumerAddresses>;
  stop(): Promise<void>;
}

export interface ConsumerAddresses {
  /** The public app: GraphQL, /ping, liveness and readiness. */
  url: string;
  /** The metrics server: `GET {metricsUrl}/metrics`. */
  metricsUrl: string;
}

export type ConsumerService = ComposedConsumer & ConsumerAddresses;

/**
 * Wires the read side from clients the caller created (main.ts, or a test): the same shape as
 * the producer's composeProducer, so nothing here connects or listens until `start()`.
 */
export async function composeConsumer(options: ConsumerServiceOptions): Promise<ComposedConsumer> {
  const { logger, redis } = options;
  const keys = viewKeys(options.viewPrefix);
  const handlers = options.handlers ?? eventHandlers;
  const registry = createViewRegistry({ redis, prefix: options.viewPrefix });
  const views = createViewOpener({
    registry,
    groupHasCommitted: () => groupHasCommitted(options.kafka, options.groupId, options.topics),
    logger,
  });
  const store = createRedisViewStore({
    redis,
    prefix: options.viewPrefix,
    waitReplicas: options.redisWaitReplicas,
  });
  // Asked per batch: the views to write, and whether anyone listens for notifications (a
  // publish nobody hears still costs Redis an encode and a fan-out per event).
  const target = async (): Promise<WriteTarget> => {
    const [{ active, writing }, listeners] = await Promise.all([
      views.targets(),
      // Unknown (a node did not answer): publish, rather than hold the batch or miss a listener.
      countListeners(redis, keys.notifications).catch((error: unknown) => {
        logger.debug({ err: redisErrorForLog(error) }, 'notification listeners not counted');
        return 1;
      }),
    ]);
    return {
      views: [active, ...writing.filter((view) => view !== active)],
      notify: listeners > 0,
      writer: 'live',
    };
  };
  // Lag is read on each scrape: only once the metrics server listens, after both exist.
  const metrics = createConsumerMetrics({
    readLag: () => consumer.lag(),
    readRetryLag: () => failurePath.lag(),
    readViewLost: async () => (await registry.lostSince()) !== null,
  });
  const alerts = options.alerts
    ? createWebhookAlerts(options.alerts, { groupId: options.groupId, logger, metrics, redis })
    : undefined;
  const failurePath = createRetrySystem({
    kafka: options.kafka,
    redis,
    waitReplicas: options.redisWaitReplicas,
    workerConnection: options.retry.workerConnection,
    groupId: options.groupId,
    topics: options.retry.topics,
    policy: options.retry.policy,
    concurrency: options.retry.concurrency,
    jobLockMs: options.retry.jobLockMs,
    run: createRecordRunner({ handlers, store, target, metrics }),
    logger,
    metrics: retryMetricsOf(metrics),
    onDeadLettered: alerts?.deadLettered,
    onStep: options.retry.onStep,
    consumerOptions: options.consumerOptions,
  });

  const consumer = options.kafka.batchConsumer({
    groupId: options.groupId,
    topics: options.topics,
    logger,
    // A new group reads the topics from the start: Kafka is the source of truth for the view.
    fromBeginning: true,
    ...options.consumerOptions,
    members: options.viewConsumerMembers,
    transactions: failurePath.transactions,
    handleBatch: createViewBatchProcessor({
      handlers,
      store,
      metrics,
      onRecordFailure: createRoutingFailureHandler({
        logger,
        metrics,
        route: (failures) => failurePath.routeFailures(failures),
      }),
      target,
    }),
    onBatchFailed: (batch) => metrics.batchFailures.inc({ topic: batch.topic }),
  });

  // A message the serializer cannot read, and an empty one (which the event target hands on as
  // null without asking it), arrive as null and are dropped before any subscriber sees them.
  const pubSub = createPubSub<Record<string, [UserView | null]>>({
    eventTarget: createRedisEventTarget({
      publishClient: redis,
      subscribeClient: notificationSubscriber(options.subscriber, logger),
      serializer: notificationSerializer(logger),
    }),
  });
  const producer = createProducerClient({
    baseUrl: options.producerEndpoint,
    timeoutMs: options.pingTimeoutMs,
  });
  const app = await buildConsumerApp({
    logger,
    authenticate: createBearerAuthenticator(options.auth),
    wsMaxPayloadBytes: options.wsMaxPayloadBytes ?? 65_536,
    wsMaxConnections: options.wsMaxConnections,
    bodyLimitBytes: options.httpBodyLimitBytes ?? 65_536,
    // As Apollo decided alone before (NODE_ENV=production), now for WebSocket too.
    introspection: !options.auth.production,
    graphqlIde: options.graphqlIde ?? false,
    producer,
    checks: [
      { name: 'kafka', check: () => consumer.isJoined() && failurePath.isJoined() },
      { name: 'redis', check: async () => (await redis.ping()) === 'PONG' },
    ],
    schema: createGraphqlSchema({
      store,
      activeView: async () => (await views.targets()).active,
      notifications: () => filter(isNotification)(pubSub.subscribe(keys.notifications)),
      operator: {
        deadLetters: failurePath.deadLetters,
        operations: failurePath.operations,
        stats: () => failurePath.stats(),
        authorize: createOperatorGuard({
          operatorsConfigured: options.auth.operators.length > 0,
          production: options.auth.production,
          readsNeedToken: options.auth.readsNeedToken,
          logger,
        }),
      },
    }),
  });

  // GET /metrics on METRICS_PORT only (not behind the load balancer, which forwards PORT).
  const metricsServer = createMetricsServer({ registry: metrics.registry, logger });

  // Both HTTP servers in one step: a scrape in flight finishes like a request does. A bulk
  // replay in flight (up to 50 s) stops taking dead letters first, so the close waits only for
  // the replay it is running.
  const stopHttp: ShutdownStep = {
    name: 'http',
    run: () => {
      failurePath.operations.interrupt();
      return Promise.all([app.close(), metricsServer.close()]);
    },
  };
  const stopConsumer: ShutdownStep = { name: 'kafka consumer', run: () => consumer.stop() };
  const stopFailurePath: ShutdownStep = { name: 'retry system', run: () => failurePath.stop() };
  const shutdownSteps: ShutdownStep[] = [
    stopHttp,
    stopConsumer,
    // After the main consumer: its last batch may still write through the failure path.
    stopFailurePath,
    // After the failure path: its last dead letters may still be told.
    { name: 'alerts', run: async () => alerts?.close() },
    { name: 'producer client', run: () => producer.close() },
  ];
  return {
    app,
    consumer,
    retry: failurePath,
    metrics,
    store,
    registry,
    shutdownSteps,
    async start() {
      // What has started, latest first: stopped again if a later step fails, so a failed start
      // leaves no member in a group (holding its partitions) and no worker polling Redis. Each
      // is added before its start, since a start that fails halfway (connected, not joined)
      // needs its stop too; stopping a part that never started is harmless.
      const started: ShutdownStep[] = [];
      try {
        // First, to fail with the reason: the registry's first command would fail with only
        // "Command timed out" (or give up after one reconnect on a single Redis).
        await redisReady(redis, options.redisStartTimeoutMs ?? REDIS_START_TIMEOUT_MS);
        await views.open();
        // The failure path first: the main consumer's first failed batch needs its producer.
        started.unshift(stopFailurePath);
        await failurePath.start();
        started.unshift(stopConsumer);
        await consumer.start();
        const host = options.host ?? '0.0.0.0';
        // Before the listen: a listen that fails (port taken) leaves Apollo and the WebSocket
        // server running, which this step closes too.
        started.unshift(stopHttp);
        const url = await app.listen({ host, port: options.port });
        const metricsUrl = await metricsServer.listen({ host, port: options.metricsPort });
        return { url, metricsUrl };
      } catch (error) {
        // The error itself is the caller's to report (main.ts prints it and exits 1).
        logger.error(
          { stopping: started.map((step) => step.name) },
          'start failed; stopping what had started',
        );
        await rollBack(started, logger, options.rollbackDeadlineMs ?? ROLLBACK_DEADLINE_MS);
        throw error;
      }
    },
    async stop() {
      for (const step of shutdownSteps) await step.run();
    },
  };
}

/**
 * Runs `steps` in order. One that fails is logged and the next still runs; one that hangs is
 * given up on after `deadlineMs`, so a failed start is always reported, never left waiting.
 */
async function rollBack(steps: ShutdownStep[], logger: Logger, deadlineMs: number) {
  const run = async () => {
    for (const step of steps) {
      try {
        await step.run();
      } catch (error) {
        logger.error({ err: error, step: step.name }, 'could not stop a part after a failed start');
      }
    }
  };
  // run() never rejects: only the deadline ends up here.
  await withTimeout(run(), deadlineMs).catch(() => {
    logger.error({ deadlineMs }, 'stopping what had started did not finish in time');
  });
}

/** composeConsumer, then start: what main.ts and the tests run. */
export async function startConsumerService(
  options: ConsumerServiceOptions,
): Promise<ConsumerService> {
  const composed = await composeConsumer(options);
  return { ...composed, ...(await composed.start()) };
}

/** A notification the serializer read; null stands for one it dropped. */
function isNotification(value: UserView | null): value is UserView {
  return value !== null;
}

/** Whether `groupId` has committed an offset on any partition of `topics` (a client of its own). */
async function groupHasCommitted(
  kafka: KafkaConnection,
  groupId: string,
  topics: string[],
): Promise<boolean> {
  const admin = kafka.groupAdmin();
  try {
    return (await admin.lag(groupId, topics)).some((partition) => partition.committed !== null);
  } finally {
    await admin.disconnect();
  }
}
