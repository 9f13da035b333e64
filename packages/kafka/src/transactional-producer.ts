import { randomUUID } from 'node:crypto';
import { type Kafka, type Message, Partitioners } from 'kafkajs';
import type { Logger } from './logger.ts';
import { createTransactionQueue, offsetsByGroup, type Pending } from './transaction-queue.ts';

/** A record written as is: key and value bytes untouched (a retry or dead letter of another). */
export interface RawRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** A consumer group's position to commit: `offset` is the next record to read. */
export interface OffsetCommit {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
  /**
   * The group member that read the batch, when the client library says: the broker then refuses
   * the commit if the group has rebalanced since (KIP-447). kafkajs cannot send it.
   */
  member?: GroupMember;
}

/** A consumer-group member as its coordinator knows it. */
export interface GroupMember {
  memberId: string;
  generationId: number;
}

export interface TransactionalProducer {
  /**
   * Writes the records and, when given, commits the offset, all in one Kafka transaction:
   * either every record becomes visible to read-committed readers and the offset moves, or
   * nothing does. Concurrent calls share one transaction; when it fails, each call is tried
   * again in a transaction of its own, and only a call whose own transaction fails is rejected
   * (nothing of it is visible; the caller retries).
   */
  send(records: RawRecord[], commit?: OffsetCommit): Promise<void>;
  start(): Promise<void>;
  /** Waits for the transaction under way, then disconnects. */
  stop(): Promise<void>;
}

export interface TransactionalProducerOptions {
  /** Prefix of the transactional id (a random suffix makes it unique per process). */
  idPrefix: string;
  logger: Logger;
  /** @defaultValue 10_000 */
  transactionTimeoutMs?: number;
  /** Called with a transaction's records just before it commits (a fault-injection seam). */
  beforeCommit?: (records: RawRecord[]) => void;
}

/**
 * The consume-transform-produce half of exactly-once: the failure path writes a record to the
 * retry or dead-letter topic together with the commit of the offset that caused it, so a crash
 * between the two can neither lose the record nor write it twice.
 *
 * The transactional id is new for every process: kafkajs has no group-aware fencing (KIP-447),
 * and a stable id shared by two live instances would fence one of them. A crashed process's
 * open transaction is aborted by the broker after `transactionTimeoutMs`; read-committed
 * readers of those partitions wait at most that long.
 */
export function createTransactionalProducer(
  options: TransactionalProducerOptions & { client: Kafka },
): TransactionalProducer {
  const { logger } = options;
  // A producer whose transaction failed is replaced, not reused: kafkajs rolls back its
  // sequence numbers for every partition of a failed produce request, including partitions the
  // broker accepted, and the next transaction's records on those partitions would then be
  // dropped by the broker as duplicates. A fresh producer id starts clean.
  const newProducer = () => {
    const producer = options.client.producer({
      transactionalId: `${options.idPrefix}.${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: options.transactionTimeoutMs ?? 10_000,
      allowAutoTopicCreation: false,
      // Kafka's default (murmur2) partitioner, as the Java client: a record lands where one
      // written by any other client with the same key would.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const connected = producer.connect();
    // Nobody may be left with an unhandled rejection; the next send awaits it again and throws.
    connected.catch(() => {});
    return { producer, connected };
  };
  let current: ReturnType<typeof newProducer> | undefined;

  const runTransaction = async (entries: Pending[]) => {
    current ??= newProducer();
    const { producer, connected } = current;
    try {
      await connected;
    } catch (error) {
      current = undefined;
      throw error;
    }
    const transaction = await producer.transaction();
    try {
      const byTopic = new Map<string, Message[]>();
      for (const { records } of entries) {
        for (const record of records) {
          const messages = byTopic.get(record.topic) ?? [];
          messages.push({ key: record.key, value: record.value, headers: record.headers });
          byTopic.set(record.topic, messages);
        }
      }
      if (byTopic.size > 0) {
        await transaction.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      }
      for (const [groupId, commits] of offsetsByGroup(entries)) {
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: offsetsByTopic(commits),
        });
      }
      options.beforeCommit?.(entries.flatMap((entry) => entry.records));
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch((abortError: unknown) => {
        logger.warn({ err: abortError }, 'could not abort the transaction; the broker will');
      });
      current = undefined;
      await producer.disconnect().catch(() => {});
      throw error;
    }
  };

  const queue = createTransactionQueue(runTransaction);

  return {
    send: queue.send,
    async start() {
      current ??= newProducer();
      await current.connected;
    },
    async stop() {
      await queue.idle();
      if (!current) return;
      await current.connected.catch(() => {});
      await current.producer.disconnect();
      current = undefined;
    },
  };
}

function offsetsByTopic(commits: OffsetCommit[]) {
  const topics = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of commits) {
    topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}
