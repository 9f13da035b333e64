import type {
  BatchConsumer,
  BatchConsumerOptions,
  BatchHandler,
  KafkaConnection,
  PartitionLag,
  RawRecord,
  TransactionalProducer,
} from '@kafka-ecs/kafka';
import { createDeadLetterAudit } from './dead-letter-audit.ts';
import { createDeadLetterIndexer, type OnDeadLettered } from './dead-letter-indexer.ts';
import { createDeadLetterOperations, type DeadLetterOperations } from './dead-letter-operations.ts';
import type { DeadLetterStore } from './dead-letter-store.ts';
import { afterReplicas, failurePathStores } from './failure-path-stores.ts';
import { createFailureRouter, type RecordFailure, type RouterTopics } from './failure-router.ts';
import type { Logger } from './logger.ts';
import type { RetryMetrics } from './metrics.ts';
import type { RedisClient } from './redis-client.ts';
import { replayDeadLetter } from './replay.ts';
import { createReplayLock } from './replay-lock.ts';
import { createRetryJobProcessor, type RecordRunner } from './retry-job.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { createRetryQueue, type RetryWorker, startRetryWorker } from './retry-queue.ts';
import type { RetryStats } from './retry-state.ts';
import { createRetryTopicProcessor } from './retry-topic-processor.ts';
import type { StepHook } from './steps.ts';

export interface RetrySystemOptions {
  /** The process's Kafka connection (createKafkaConnection). */
  kafka: KafkaConnection;
  /** Commands: attempt counts, the dead-letter index, BullMQ's queue. */
  redis: RedisClient;
  /**
   * Replicas of each master that must hold a batch's writes (attempt counts, retry jobs, the
   * dead-letter index) before the side-topic or dead-letter consumer commits it
   * (REDIS_WAIT_REPLICAS): a retry job lost in a failover would never run. @defaultValue 0
   */
  waitReplicas?: number;
  /** BullMQ's worker: a client of its own with `maxRetriesPerRequest: null`. */
  workerConnection: RedisClient;
  /** The group whose failures this retries (the main consumer's). */
  groupId: string;
  topics: RouterTopics;
  policy: RetryPolicy;
  /** Retry jobs one instance runs at once. */
  concurrency: number;
  /** How long a running job stays claimed by its worker. @defaultValue 30_000 */
  jobLockMs?: number;
  /** Re-runs the original handler. */
  run: RecordRunner;
  logger: Logger;
  metrics?: RetryMetrics;
  /**
   * Told once per committed dead letter (where it is counted), e.g. to alert operators. It must
   * neither throw nor wait: it runs inside the dead-letter consumer's batch.
   */
  onDeadLettered?: OnDeadLettered;
  onStep?: StepHook;
  consumerOptions?: Pick<
    BatchConsumerOptions,
    'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxBackoffMs' | 'onFatal'
  >;
}

export interface RetrySystem {
  /** Writes the main consumer's failures with its offset commits (pass to its batch consumer). */
  transactions: TransactionalProducer;
  /** The main consumer's failed records → retry records and dead letters to write. */
  routeFailures(failures: RecordFailure[]): RawRecord[];
  deadLetters: DeadLetterStore;
  /** Replay, bulk replay, discard and their audit, each audited and logged with its actor. */
  operations: DeadLetterOperations;
  stats(): Promise<RetryStats & { pending: number; failedJobs: number }>;
  /** Lag of the side-topic and dead-letter consumers. */
  lag(): Promise<(PartitionLag & { groupId: string })[]>;
  /** Both of its consumers are in their groups. */
  isJoined(): boolean;
  start(): Promise<void>;
  /** Stops taking work (consumers, then the worker, which finishes its jobs), then the producer. */
  stop(): Promise<void>;
}

/** The consumer groups of the failure path, derived from the main group's id. */
export const retryGroupIds = (groupId: string) => ({
  retry: `${groupId}.retry`,
  deadLetters: `${groupId}.dead-letters`,
});

/**
 * The whole failure path of one consumer group, wired from clients the caller owns: a
 * transactional producer, the side-topic consumer, the BullMQ queue and worker, and the
 * dead-letter indexer. See docs/retries.md for the flow and its guarantees.
 */
export function createRetrySystem(options: RetrySystemOptions): RetrySystem {
  const { groupId, topics, logger, metrics, onStep } = options;
  const groups = retryGroupIds(groupId);
  const { state, deadLetters, queueName } = failurePathStores(options.redis, groupId);
  const lock = createReplayLock({
    redis: options.redis,
    prefix: `dead-letters:${groupId}:lock`,
    onReleaseFailed: (error) =>
      logger.warn({ err: error }, 'dead-letter lock not released; it expires by itself'),
  });
  const operations = createDeadLetterOperations({
    store: deadLetters,
    audit: createDeadLetterAudit({ redis: options.redis, key: `dead-letters:${groupId}:audit` }),
    lock,
    replay: (id, actor) =>
      replayDeadLetter(
        { store: deadLetters, run: options.run, state, lock, metrics, logger },
        id,
        actor,
      ),
    logger,
    metrics,
  });
  const queue = createRetryQueue({ connection: options.redis, name: queueName, logger });
  const transactions = options.kafka.transactionalProducer({
    idPrefix: groupId,
    beforeCommit: (records) => {
      if (records.some((record) => record.topic === topics.retry))
        onStep?.('side-write-uncommitted');
      if (records.some((record) => record.topic === topics.deadLetter)) {
        onStep?.('dead-letter-uncommitted');
      }
    },
  });
  // A held batch failed on Redis (counts, index, BullMQ) or on Kafka (its transaction).
  const onBatchFailed = (_batch: unknown, error: unknown) =>
    metrics?.infrastructureFailure(options.kafka.isKafkaError(error) ? 'kafka' : 'redis');
  const consumerDefaults = { logger, fromBeginning: true, transactions };
  const replicated = (handle: BatchHandler) =>
    afterReplicas(options.redis, options.waitReplicas ?? 0, handle);
  const retryConsumer: BatchConsumer = options.kafka.batchConsumer({
    ...consumerDefaults,
    ...options.consumerOptions,
    groupId: groups.retry,
    topics: [topics.retry],
    handleBatch: replicated(
      createRetryTopicProcessor({
        groupId,
        topics,
        policy: options.policy,
        state,
        queue,
        logger,
        metrics,
        onStep,
      }),
    ),
    onBatchFailed,
  });
  const indexer: BatchConsumer = options.kafka.batchConsumer({
    ...consumerDefaults,
    ...options.consumerOptions,
    groupId: groups.deadLetters,
    topics: [topics.deadLetter],
    handleBatch: replicated(
      createDeadLetterIndexer({
        groupId,
        store: deadLetters,
        state,
        logger,
        metrics,
        onDeadLettered: options.onDeadLettered,
      }),
    ),
    onBatchFailed,
  });
  const admin = options.kafka.groupAdmin();
  let worker: RetryWorker | undefined;

  return {
    transactions,
    routeFailures: createFailureRouter({ topics, groupId, onStep }),
    deadLetters,
    operations,
    async stats() {
      const [stats, pending, failedJobs] = await Promise.all([
        state.stats(),
        queue.pending(),
        queue.failed(),
      ]);
      return { ...stats, pending, failedJobs };
    },
    async lag() {
      const [retry, dead] = await Promise.all([
        admin.lag(groups.retry, [topics.retry]),
        admin.lag(groups.deadLetters, [topics.deadLetter]),
      ]);
      return [
        ...retry.map((entry) => ({ ...entry, groupId: groups.retry })),
        ...dead.map((entry) => ({ ...entry, groupId: groups.deadLetters })),
      ];
    },
    isJoined: () => retryConsumer.isJoined() && indexer.isJoined(),
    async start() {
      await transactions.start();
      await Promise.all([retryConsumer.start(), indexer.start()]);
      worker = startRetryWorker({
        connection: options.workerConnection,
        name: queueName,
        concurrency: options.concurrency,
        lockMs: options.jobLockMs ?? 30_000,
        logger,
        process: createRetryJobProcessor({
          run: options.run,
          state,
          producer: transactions,
          topics,
          metrics,
          onStep,
        }),
        onJobFailed: () => metrics?.infrastructureFailure('bullmq'),
      });
    },
    async stop() {
      // Every part is stopped even when one fails: a worker left running would take jobs on a
      // Redis the next shutdown step closes, an open producer would hold a transaction. The
      // first failure is rethrown once all have run (the shutdown step logs it); the others are
      // logged here.
      const failures: unknown[] = [];
      const attempt = async (part: () => Promise<unknown> | undefined) => {
        try {
          await part();
        } catch (error) {
          failures.push(error);
        }
      };
      await Promise.all([attempt(() => retryConsumer.stop()), attempt(() => indexer.stop())]);
      await attempt(() => worker?.close());
      await attempt(() => queue.close());
      await attempt(() => transactions.stop());
      await attempt(() => admin.disconnect());
      for (const error of failures.slice(1)) {
        logger.error({ err: error }, 'retry system: a part did not stop cleanly');
      }
      if (failures.length > 0) throw failures[0];
    },
  };
}
