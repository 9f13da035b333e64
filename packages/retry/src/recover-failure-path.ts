import { FailureHeaders as H } from '@kafka-ecs/events';
import {
  type BatchConsumer,
  type BatchHandler,
  type GroupAdmin,
  type KafkaConnection,
  partitionKey,
  type RecordBatch,
  type ReplayRange,
  replayRange,
  waitForCommitted,
} from '@kafka-ecs/kafka';
import { createDeadLetterIndexer } from './dead-letter-indexer.ts';
import { type FailureChain, readChain, type SourceRecord } from './failure-chain.ts';
import { afterReplicas, failurePathStores } from './failure-path-stores.ts';
import type { RouterTopics } from './failure-router.ts';
import type { Logger } from './logger.ts';
import type { RedisClient } from './redis-client.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { createRetryQueue, type RetryQueue } from './retry-queue.ts';
import {
  attemptClaim,
  createRetryTopicProcessor,
  isTerminal,
  STATE_GRACE_MS,
} from './retry-topic-processor.ts';

export interface FailurePathRecovery {
  /** Retry records of this group read, of failures at or after `since`. */
  failuresRead: number;
  /** Retry jobs scheduled again: each chain's latest failure, where it is not the last. */
  rescheduled: number;
  /** Dead-letter records of this group read into the index (those already listed unchanged). */
  deadLettersRead: number;
  durationMs: number;
}

/**
 * Makes the failure path's Redis state again from Kafka after Redis lost it (an empty Redis
 * after a restart without persistence, a failover to an empty replica): the retry jobs that were
 * waiting in BullMQ, their attempt counts and the dead-letter index. Until then those records
 * are lost to the system: the side-topic and dead-letter groups have committed past them.
 *
 * Groups of its own read the two topics from their start up to their ends when it began, beside
 * the live consumer and with its code:
 * 1. the retry topic, counting every failure at or after `since` (terminal ones too), so each
 *    chain's count stands at its latest failure;
 * 2. the retry topic again through the live processor, for the records of 1 that are not past
 *    the last attempt: only a chain's latest failure wins its claim, so each chain gets one job,
 *    due when it was due, and a chain already dead-lettered gets none. A job that had run
 *    between `since` and the loss runs again, which the view's idempotency absorbs;
 * 3. meanwhile, the dead-letter topic through the indexer (idempotent; no alert fires again).
 * The dead letters' history (replays, discards) and the audit are not in Kafka: a dead letter
 * replayed or discarded before is listed as dead again. The groups are deleted at the end.
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
  onProgress?: (progress: { step: string; remaining: number }) => void;
}): Promise<FailurePathRecovery> {
  const { kafka, redis, groupId, topics, policy, logger } = options;
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 60 * 60 * 1000);
  const { state, deadLetters, queueName } = failurePathStores(redis, groupId);
  const queue = createRetryQueue({ connection: redis, name: queueName, logger });
  const admin = kafka.groupAdmin();
  const prefix = `${groupId}.recovery-${started}`;
  const counts = { failuresRead: 0, rescheduled: 0, deadLettersRead: 0 };
  const replicated = (handle: BatchHandler) =>
    afterReplicas(redis, options.waitReplicas ?? 0, handle);
  // The first step to fail stops the others: the command fails now, not at the deadline.
  const stopping = new AbortController();
  const failing = (error: unknown): never => {
    stopping.abort(error);
    throw error;
  };
  /** Every group it made (deleted at the end) and the consumers still running. */
  const groups: string[] = [];
  const running = new Set<BatchConsumer>();
  /** Reads `topic` with a new group up to `range`'s ends; the group stays for the cleanup. */
  const replay = async (
    step: string,
    topic: string,
    range: ReplayRange,
    handle: BatchHandler,
  ): Promise<void> => {
    stopping.signal.throwIfAborted();
    const group = `${prefix}.${step}`;
    const consumer = kafka.batchConsumer({
      groupId: group,
      topics: [topic],
      fromBeginning: true,
      logger,
      handleBatch: replicated(async (batch) => handle(within(batch, range))),
    });
    groups.push(group);
    running.add(consumer);
    await consumer.start();
    await waitForCommitted(admin, group, [topic], range, {
      deadline,
      onRemaining: (remaining) => options.onProgress?.({ step, remaining }),
      onReadFailed: (err) =>
        logger.warn({ err, step }, "reading the replay group's progress failed; reading again"),
      signal: stopping.signal,
    });
    running.delete(consumer);
    await consumer.stop();
  };

  /** This group's retry records of failures since `since`, with their chains. */
  const failuresSince = (batch: RecordBatch) =>
    batch.records.flatMap((record) => {
      const chain = chainOf(record);
      return chain?.consumerGroup === groupId &&
        Date.parse(chain.lastFailureAt) >= options.since.getTime()
        ? [{ record, chain }]
        : [];
    });
  const countFailures: BatchHandler = async (batch) => {
    const failures = failuresSince(batch);
    counts.failuresRead += failures.length;
    const now = new Date();
    // A count must last until the second read has met the chain's earlier records, whatever
    // their delays: else an earlier record could win its claim again and get a job.
    const until = deadline - now.getTime() + STATE_GRACE_MS;
    await state.claimAll(
      failures.map(({ record, chain }) => {
        const { claim } = attemptClaim({ policy, state }, record, chain, now);
        return { ...claim, expireMs: Math.max(claim.expireMs, until) };
      }),
    );
    return undefined;
  };
  const countingQueue: RetryQueue = {
    ...queue,
    async schedule(retries) {
      await queue.schedule(retries);
      counts.rescheduled += retries.length;
    },
  };
  const processRetries = createRetryTopicProcessor({
    groupId,
    topics,
    policy,
    state,
    queue: countingQueue,
    logger,
  });
  // A terminal record's dead letter is on its topic already (written with the side group's
  // commit): only the others go on, and the processor returns nothing to write.
  const scheduleRetries: BatchHandler = async (batch) => {
    const records = failuresSince(batch)
      .filter(({ chain }) => !isTerminal(policy, chain))
      .map(({ record }) => record);
    if (records.length > 0) await processRetries({ ...batch, records });
    return undefined;
  };
  const indexDeadLetters = createDeadLetterIndexer({ groupId, store: deadLetters, state, logger });
  const countDeadLetters: BatchHandler = async (batch) => {
    await indexDeadLetters(batch);
    counts.deadLettersRead += batch.records.filter(
      (record) => record.headers[H.consumerGroup] === groupId,
    ).length;
    return undefined;
  };

  try {
    const [retryRange, deadLetterRange] = await Promise.all([
      replayRange(admin, [topics.retry]),
      replayRange(admin, [topics.deadLetter]),
    ]);
    // Settled, not raced: nothing may still start once the clean-up has begun.
    const outcomes = await Promise.allSettled([
      replay('dead-letters', topics.deadLetter, deadLetterRange, countDeadLetters).catch(failing),
      (async () => {
        await replay('counts', topics.retry, retryRange, countFailures);
        await replay('retries', topics.retry, retryRange, scheduleRetries);
      })().catch(failing),
    ]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
    return { ...counts, durationMs: Date.now() - started };
  } finally {
    await cleanUp({ groups, running: [...running], queue, admin, logger });
  }
}

/** The records of `batch` before `range`'s end: what was there when the recovery began. */
function within(batch: RecordBatch, range: ReplayRange): RecordBatch {
  const end = BigInt(range.ends.get(partitionKey(batch.topic, batch.partition)) ?? '0');
  return { ...batch, records: batch.records.filter((record) => BigInt(record.offset) < end) };
}

/** The chain a retry record carries; none for one that is not (dead-lettered when first read). */
function chainOf(record: SourceRecord): FailureChain | undefined {
  try {
    return readChain(record);
  } catch {
    return undefined;
  }
}

/** Stops what still runs and deletes the groups; a failure here is logged, never thrown. */
async function cleanUp(made: {
  groups: string[];
  running: BatchConsumer[];
  queue: RetryQueue;
  admin: GroupAdmin;
  logger: Logger;
}): Promise<void> {
  const attempt = async (what: string, step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      made.logger.warn({ err: error }, `recovery clean-up: ${what} failed`);
    }
  };
  await Promise.all(
    made.running.map((consumer) => attempt('stopping a reader', () => consumer.stop())),
  );
  await attempt('closing the retry queue', () => made.queue.close());
  for (const group of made.groups) {
    await attempt(`deleting group ${group} (it expires by itself)`, () =>
      made.admin.deleteGroup(group),
    );
  }
  await attempt('disconnecting the admin client', () => made.admin.disconnect());
}
