import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { FETCH_MAX_BYTES, FETCH_MAX_BYTES_PER_PARTITION } from './fetch-limits.ts';
import { createGroupAdmin, type PartitionLag } from './group-admin.ts';
import type { Logger } from './logger.ts';
import type { RawRecord, TransactionalProducer } from './transactional-producer.ts';

/** One record as the service sees it, with no kafkajs types. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Read-only: the kafkajs adapter decodes them on first read (a getter). */
  readonly headers: Record<string, string>;
  /** Broker or producer timestamp, epoch milliseconds as a string. */
  timestamp: string;
}

/** Consecutive records of one partition, in offset order. */
export interface RecordBatch {
  topic: string;
  partition: number;
  records: ConsumedRecord[];
}

/** What a batch leaves to write: records to produce atomically with the batch's commit. */
export interface BatchResult {
  produce: RawRecord[];
}

/**
 * Processes a batch. Resolving means every record is durably handled (applied, or returned in
 * `produce` for the failure path); only then are the offsets committed, in one transaction with
 * those records when there are any. Rejecting means "nothing may be committed yet": the same
 * batch is offered again after a backoff, so an outage pauses the partition instead of dropping
 * records.
 */
export type BatchHandler = (batch: RecordBatch) => Promise<BatchResult | undefined>;

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  handleBatch: BatchHandler;
  logger: Logger;
  /** Writes a batch's `produce` records with its offset commit; required if any are returned. */
  transactions?: TransactionalProducer;
  /** Read records of aborted transactions too. @defaultValue false (read committed) */
  readUncommitted?: boolean;
  /** Where a group with no committed offset starts. @defaultValue false (the end) */
  fromBeginning?: boolean;
  /** Partitions processed at once; each one stays strictly in order. @defaultValue 4 */
  partitionsConsumedConcurrently?: number;
  /**
   * Members of the group this consumer runs (kafkajs only). kafkajs fetches, hands out the
   * fetch's batches and fetches again only once all are done, so one member's decoding and its
   * handler's writes take turns; two members overlap them (docs/performance.md). Each member
   * counts toward the group's size: more members than partitions leaves some idle. The fetch
   * bound is shared, so up to 8 members the process holds no more fetched records than one.
   * @platformatic/kafka's stream fetches ahead by itself and runs one member: it refuses any
   * other number.
   * @defaultValue 1
   */
  members?: number;
  /** First pause after a failed batch; doubles up to `maxBackoffMs`. @defaultValue 200 */
  initialBackoffMs?: number;
  /** @defaultValue 5_000 */
  maxBackoffMs?: number;
  /** @defaultValue 30_000 */
  sessionTimeoutMs?: number;
  /** @defaultValue a third of the session timeout, at most 3_000 */
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits for new records; also bounds how long stop waits. @defaultValue 1_000 */
  maxWaitTimeMs?: number;
  /** Called when a batch fails and will be offered again (for metrics). */
  onBatchFailed?: (batch: RecordBatch, error: unknown, attempt: number) => void;
  /**
   * Called when the consumer crashed and kafkajs will not restart it (a non-retriable error):
   * the process can no longer do its job and should exit so the orchestrator replaces it.
   */
  onFatal?: (error: unknown) => void;
}

export interface BatchConsumer {
  /** Connects, subscribes and starts consuming; resolves once the run loop is started. */
  start(): Promise<void>;
  /** Finishes the in-flight batches, commits what they handled and leaves the group. */
  stop(): Promise<void>;
  /** True while every member it runs is a member of its group with an assignment. */
  isJoined(): boolean;
  /**
   * The partitions its members own, by topic (each member's latest assignment: during a
   * rebalance a partition may show twice).
   */
  assignment(): Record<string, number[]>;
  lag(): Promise<PartitionLag[]>;
}

/**
 * One or more members of a consumer group (`members`) that hand whole batches to `handleBatch`
 * and commit a batch's offsets only after it resolved: at-least-once delivery, so the handler
 * must be idempotent.
 * A failing batch is retried in place with a growing pause (heartbeating meanwhile), which holds
 * the partition without committing until the dependency is back.
 */
export function createBatchConsumer(
  options: BatchConsumerOptions & {
    client: Kafka;
    /**
     * A new client for each member after the first: kafkajs keeps one cache of committed
     * offsets per client and group, and a member that joins clears the topics it does not own
     * from it, so two members of a group on one client break each other's commits.
     */
    newClient?: () => Kafka;
  },
): BatchConsumer {
  const { client, groupId, topics } = options;
  const count = options.members ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`members must be a whole number of at least 1, not ${count}`);
  }
  const { newClient } = options;
  if (count > 1 && !newClient) throw new Error('members above 1 need newClient');
  const admin = createGroupAdmin(client);
  const stopping = new AbortController();
  // The fetch bound is the process's: each member fetches its share, a partition's bound at
  // least (so above 8 members the process may hold more than with one).
  const maxBytes = Math.max(FETCH_MAX_BYTES_PER_PARTITION, Math.floor(FETCH_MAX_BYTES / count));
  const members = Array.from({ length: count }, (_, member) =>
    createMember(options, {
      client: member === 0 || !newClient ? client : newClient(),
      member,
      maxBytes,
      stopping: stopping.signal,
    }),
  );
  const stop = async () => {
    stopping.abort();
    try {
      // disconnect waits for the running batches, commits resolved offsets and leaves the group.
      await everyMember(members, (each) => each.stop());
    } finally {
      await admin.disconnect();
    }
  };

  return {
    async start() {
      try {
        await everyMember(members, (each) => each.start());
      } catch (error) {
        // A member that failed to start stops the rest; the start's own error is the one thrown.
        await stop().catch((stopError: unknown) => {
          options.logger.warn({ groupId, err: stopError }, 'stopping after a failed start failed');
        });
        throw error;
      }
    },
    stop,
    isJoined: () => members.every((each) => each.isJoined()),
    assignment: () => {
      const merged: Record<string, number[]> = {};
      for (const each of members) {
        for (const [topic, partitions] of Object.entries(each.assignment())) {
          merged[topic] = [...(merged[topic] ?? []), ...partitions];
        }
      }
      for (const partitions of Object.values(merged)) partitions.sort((a, b) => a - b);
      return merged;
    },
    lag: () => admin.lag(groupId, topics),
  };
}

type Member = Pick<BatchConsumer, 'start' | 'stop' | 'isJoined' | 'assignment'>;

/** Runs `step` on every member at once, lets each finish, then throws the first failure. */
async function everyMember(members: Member[], step: (member: Member) => Promise<void>) {
  const settled = await Promise.allSettled(members.map(step));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** One kafkajs consumer of the group, with its own generation, assignment and fetch loop. */
function createMember(
  options: BatchConsumerOptions,
  shared: { client: Kafka; member: number; maxBytes: number; stopping: AbortSignal },
): Member {
  const { groupId, topics, handleBatch, logger } = options;
  const { client, member, stopping } = shared;
  const initialBackoffMs = options.initialBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const consumer: Consumer = client.consumer({
    groupId,
    sessionTimeout,
    heartbeatInterval:
      options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor(sessionTimeout / 3)),
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
    // Leaving the group on stop makes the broker rebalance at once instead of after the session.
    rebalanceTimeout: 30_000,
    readUncommitted: options.readUncommitted ?? false,
    maxBytes: shared.maxBytes,
    maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
  });
  let joined = false;
  let assignment: Record<string, number[]> = {};
  // Bumped whenever the group starts rebalancing or this member (re)joins: a batch that began
  // in another generation may belong to another member now. (kafkajs' isStale() only reports
  // seeks, not revocations.)
  let generation = 0;

  consumer.on(consumer.events.REBALANCING, () => {
    generation += 1;
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    generation += 1;
    joined = true;
    assignment = payload.memberAssignment;
    logger.info({ groupId, member, assignment }, 'joined consumer group');
  });
  for (const event of [consumer.events.STOP, consumer.events.DISCONNECT]) {
    consumer.on(event, () => {
      joined = false;
    });
  }
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    joined = false;
    logger.error(
      { groupId, member, err: payload.error, restart: payload.restart },
      'consumer crashed; kafkajs restarts it when the error is retriable',
    );
    if (!payload.restart) options.onFatal?.(payload.error);
  });

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    if (batch.isEmpty()) return;
    const startedIn = generation;
    const records: RecordBatch = {
      topic: batch.topic,
      partition: batch.partition,
      records: batch.messages.map((message) => toRecord(batch.topic, batch.partition, message)),
    };
    for (let attempt = 1; ; attempt++) {
      // Stopping or revoked: leave the offsets unresolved, whoever owns the partition next
      // starts from the last commit.
      if (!payload.isRunning() || payload.isStale()) return;
      try {
        const result = await handleBatch(records);
        if (result && result.produce.length > 0) {
          if (!options.transactions) throw new Error('handleBatch returned records to produce');
          // Rebalanced meanwhile: the partition may be another member's now, and a transactional
          // commit is not fenced (kafkajs sends no generation with it). Leave it uncommitted; its
          // owner handles the batch again.
          if (!payload.isRunning() || generation !== startedIn) return;
          await options.transactions.send(result.produce, {
            groupId,
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(batch.lastOffset()) + 1n).toString(),
          });
        }
        break;
      } catch (error) {
        options.onBatchFailed?.(records, error, attempt);
        const pauseMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1));
        logger.warn(
          { err: error, topic: batch.topic, partition: batch.partition, attempt, pauseMs },
          'batch failed; holding the partition and retrying without committing',
        );
        await sleep(pauseMs, undefined, { signal: stopping }).catch(() => {});
        await payload.heartbeat();
      }
    }
    payload.resolveOffset(batch.lastOffset());
    await payload.commitOffsetsIfNecessary();
    await payload.heartbeat();
  };

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? false });
      await consumer.run({
        // Offsets are resolved only after handleBatch resolved; a threshold of 1 makes
        // commitOffsetsIfNecessary commit them right away (and kafkajs commits resolved offsets
        // before a rebalance), so nothing unhandled is ever committed.
        autoCommit: true,
        autoCommitThreshold: 1,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachBatch,
      });
    },
    async stop() {
      await consumer.disconnect();
      joined = false;
    },
    isJoined: () => joined,
    assignment: () => assignment,
  };
}

const toRecord = (topic: string, partition: number, message: KafkaMessage): ConsumedRecord =>
  new KafkajsRecord(topic, partition, message);

/**
 * A kafkajs message as a ConsumedRecord. Its headers are decoded on first read: the hot path
 * never reads them (only a failure's record does), and decoding every record's headers up front
 * cost ~380 ns and 136 bytes it kept for the batch's life (docs/performance.md). `headers` is
 * a getter, so a spread copy of a record leaves them out.
 */
class KafkajsRecord implements ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  // The message, not its headers: kafkajs (as patched) decodes them when they are first read.
  #message: KafkaMessage | undefined;
  #headers: Record<string, string> | undefined;

  constructor(topic: string, partition: number, message: KafkaMessage) {
    this.topic = topic;
    this.partition = partition;
    this.offset = message.offset;
    this.key = message.key;
    this.value = message.value;
    this.timestamp = message.timestamp;
    this.#message = message;
  }

  get headers(): Record<string, string> {
    if (this.#headers === undefined) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(this.#message?.headers ?? {})) {
        if (value !== undefined)
          headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
      }
      this.#headers = headers;
      this.#message = undefined;
    }
    return this.#headers;
  }
}
