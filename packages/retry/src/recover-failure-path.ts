import { FailureHeaders as H } from '@kafka-ecs/events';
import type { BatchConsumer, BatchHandler, KafkaConnection } from '@kafka-ecs/kafka';
import { waitForCommitted } from '@kafka-ecs/kafka';
import { createDeadLetterIndexer } from './dead-letter-indexer.ts';
import { type FailureChain, readChain } from './failure-chain.ts';
import { afterReplicas, failurePathStores } from './failure-path-stores.ts';
import type { RouterTopics } from './failure-router.ts';
import type { Logger } from './logger.ts';
import type { RedisClient } from './redis-client.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { createRetryQueue } from './retry-queue.ts';
import { createRetryTopicProcessor, isTerminal } from './retry-topic-processor.ts';

export interface FailurePathRecovery {
  /** Retry records read again and scheduled (or found already scheduled). */
  rescheduled: number;
  /** Retry records of this group left alone: older than `since`, or already dead-lettered. */
  skipped: number;
  /** Dead letters read again into the index (those already listed change nothing). */
  deadLetters: number;
  durationMs: number;
}

/**
 * Makes the failure path's Redis state again from Kafka after Redis lost it (an empty Redis
 * after a restart without persistence, a failover to an empty replica): the retry jobs that were
 * waiting in BullMQ and the dead-letter index. Until then those records are lost to the system:
 * the side-topic and dead-letter groups have committed past them.
 *
 * Two groups of its own read the two topics from their start, up to their ends when it began,
 * with the live code: the dead-letter indexer (idempotent; no alert or metric fires again), and
 * the side-topic processor for the retry records of failures at or after `since` that are not
 * past their last attempt. Those get their attempt counts and their jobs back, due when they
 * were due; a job already run once (between `since` and the loss) runs again, which the view's
 * idempotency absorbs. Records before `since` are left: their jobs ran before Redis was lost.
 * The dead letters' history (replays, discards) and the audit are not in Kafka: replayed or
 * discarded dead letters are listed again as dead.
 *
 * Runs beside the live consumer (its groups are distinct); both groups are deleted at the end.
 */
export async function recoverFailurePath(options: {
  kafka: KafkaConnection;
  redis: RedisClient;
  /** As the live consumer's REDIS_WAIT_REPLICAS. */
  waitReplicas?: number;
  /** The main consumer group whose failure path this is. */
  groupId: string;
  topics: RouterTopics;
  policy: RetryPolicy;
  since: Date;
  timeoutMs?: number;
  logger: Logger;
  onProgress?: (progress: { remaining: number }) => void;
  now?: () => Date;
}): Promise<FailurePathRecovery> {
  const { kafka, redis, groupId, topics, logger } = options;
  const started = Date.now();
  const { state, deadLetters, queueName } = failurePathStores(redis, groupId);
  const queue = createRetryQueue({ connection: redis, name: queueName, logger });
  const admin = kafka.groupAdmin();
  const recoveryGroup = `${groupId}.recovery-${started}`;
  const groups = { retry: `${recoveryGroup}.retry`, deadLetters: `${recoveryGroup}.dead-letters` };
  const counts = { rescheduled: 0, skipped: 0, deadLetters: 0 };
  const since = options.since.getTime();

  const processRetries = createRetryTopicProcessor({
    groupId,
    topics,
    policy: options.policy,
    state,
    queue,
    logger,
    now: options.now,
  });
  // Only what may still have been waiting goes on to the live processor; a terminal record's
  // dead letter is already on its topic (written with the side group's commit).
  const pendingRetries: BatchHandler = async (batch) => {
    const records = batch.records.filter((record) => {
      let chain: FailureChain;
      try {
        chain = readChain(record);
      } catch {
        return false; // dead-lettered as it was when first read
      }
      if (chain.consumerGroup !== groupId) return false;
      const pending =
        !isTerminal(options.policy, chain) && Date.parse(chain.lastFailureAt) >= since;
      if (pending) counts.rescheduled++;
      else counts.skipped++;
      return pending;
    });
    if (records.length > 0) await processRetries({ ...batch, records });
    return undefined;
  };
  const indexDeadLetters = createDeadLetterIndexer({ groupId, store: deadLetters, state, logger });
  const countDeadLetters: BatchHandler = async (batch) => {
    await indexDeadLetters(batch);
    counts.deadLetters += batch.records.filter(
      (record) => record.headers[H.consumerGroup] === groupId,
    ).length;
    return undefined;
  };

  const consumers: BatchConsumer[] = [
    kafka.batchConsumer({
      groupId: groups.retry,
      topics: [topics.retry],
      fromBeginning: true,
      logger,
      handleBatch: afterReplicas(redis, options.waitReplicas ?? 0, pendingRetries),
    }),
    kafka.batchConsumer({
      groupId: groups.deadLetters,
      topics: [topics.deadLetter],
      fromBeginning: true,
      logger,
      handleBatch: afterReplicas(redis, options.waitReplicas ?? 0, countDeadLetters),
    }),
  ];
  try {
    const [retryEnds, deadLetterEnds] = await Promise.all([
      admin.endOffsets([topics.retry]),
      admin.endOffsets([topics.deadLetter]),
    ]);
    await Promise.all(consumers.map((consumer) => consumer.start()));
    const deadline = started + (options.timeoutMs ?? 60 * 60 * 1000);
    const remaining = { retry: 0, deadLetters: 0 };
    const report = () =>
      options.onProgress?.({ remaining: remaining.retry + remaining.deadLetters });
    await Promise.all([
      waitForCommitted(admin, groups.retry, [topics.retry], retryEnds, {
        deadline,
        onRemaining: (left) => {
          remaining.retry = left;
          report();
        },
      }),
      waitForCommitted(admin, groups.deadLetters, [topics.deadLetter], deadLetterEnds, {
        deadline,
        onRemaining: (left) => {
          remaining.deadLetters = left;
          report();
        },
      }),
    ]);
    return { ...counts, durationMs: Date.now() - started };
  } finally {
    await Promise.all(consumers.map((consumer) => consumer.stop().catch(() => {})));
    await queue.close().catch(() => {});
    for (const group of Object.values(groups)) {
      await admin
        .deleteGroup(group)
        .catch((error: unknown) =>
          logger.warn({ err: error, group }, 'recovery group not deleted; it expires by itself'),
        );
    }
    await admin.disconnect();
  }
}
