import { randomUUID } from 'node:crypto';
import { type Kafka, type Message, Partitioners } from 'kafkajs';
import type { Logger } from './logger.ts';

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

interface Pending {
  records: RawRecord[];
  commit?: OffsetCommit;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface TransactionalProducerOptions {
  client: Kafka;
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
  options: TransactionalProducerOptions,
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

  let queue: Pending[] = [];
  let running: Promise<void> | undefined;

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
      for (const [groupId, topics] of offsetsByGroup(entries)) {
        await transaction.sendOffsets({ consumerGroupId: groupId, topics });
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

  // One transaction at a time (a producer has at most one open); whatever queued meanwhile
  // goes into the next one together.
  const drain = async () => {
    while (queue.length > 0) {
      const entries = queue;
      queue = [];
      try {
        await runTransaction(entries);
        for (const entry of entries) entry.resolve();
      } catch (error) {
        if (entries.length === 1) {
          entries[0]?.reject(error);
          continue;
        }
        // One caller's records may be what failed (too large for its topic, say): give each
        // caller a transaction of its own, so one bad batch cannot fail everyone else's forever.
        for (const entry of entries) {
          await runTransaction([entry]).then(entry.resolve, entry.reject);
        }
      }
    }
    running = undefined;
  };

  return {
    send(records, commit) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ records, commit, resolve, reject });
        running ??= drain();
      });
    },
    async start() {
      current ??= newProducer();
      await current.connected;
    },
    async stop() {
      await running;
      if (!current) return;
      await current.connected.catch(() => {});
      await current.producer.disconnect();
      current = undefined;
    },
  };
}

function offsetsByGroup(entries: Pending[]) {
  const groups = new Map<string, Map<string, Map<number, string>>>();
  for (const { commit } of entries) {
    if (!commit) continue;
    const topics = groups.get(commit.groupId) ?? new Map<string, Map<number, string>>();
    const partitions = topics.get(commit.topic) ?? new Map<number, string>();
    const previous = partitions.get(commit.partition);
    // Two batches of one partition in one transaction: the later position wins.
    if (previous === undefined || BigInt(commit.offset) > BigInt(previous)) {
      partitions.set(commit.partition, commit.offset);
    }
    topics.set(commit.topic, partitions);
    groups.set(commit.groupId, topics);
  }
  return [...groups].map(
    ([groupId, topics]) =>
      [
        groupId,
        [...topics].map(([topic, partitions]) => ({
          topic,
          partitions: [...partitions].map(([partition, offset]) => ({ partition, offset })),
        })),
      ] as const,
  );
}
