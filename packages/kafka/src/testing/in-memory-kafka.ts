import type { ConsumedRecord } from '../batch-consumer.ts';
import type { KafkaConnection } from '../connection.ts';
import { type GroupAdmin, type PartitionLag, partitionKey } from '../group-admin.ts';
import { type OutgoingRecord, PublishError, type Publisher } from '../publisher.ts';
import type { TopicDescription, TopicSpec } from '../topic-admin.ts';
import type { TransactionalProducer } from '../transactional-producer.ts';
import { createFaults, type FaultPoint, InMemoryKafkaError } from './faults.ts';
import {
  createInMemoryBatchConsumer,
  type InMemoryBatchConsumer,
} from './in-memory-batch-consumer.ts';
import { createInMemoryLog } from './in-memory-log.ts';

export interface InMemoryKafkaOptions {
  /** Topics that exist from the start; `ensureTopics` creates more. @defaultValue none */
  topics?: TopicSpec[];
  /** The records' timestamps, epoch milliseconds. @defaultValue Date.now */
  now?: () => number;
}

/** The connection, and what a test needs to look at it and to break it. */
export interface InMemoryKafka extends KafkaConnection {
  /** Every record of `topic` so far, partition by partition, each in offset order. */
  records(topic: string): ConsumedRecord[];
  /** The group's committed offset (the next record it reads), null before its first commit. */
  committed(groupId: string, topic: string, partition: number): string | null;
  /**
   * Fails the next operation at `point` with `error` (a retriable InMemoryKafkaError unless
   * given); calls queue up. `publish`: the publish rejects with a PublishError caused by it.
   * `transaction`: the transactional send rejects and nothing of it becomes visible.
   * `commit`: a batch consumer's plain offset commit fails, so the batch is offered again.
   */
  failNext(point: FaultPoint, error?: Error): void;
  /**
   * Resolves once every started batch consumer has handled and committed all records of its
   * partitions, including those its handlers wrote meanwhile. Rejects after `timeoutMs` naming
   * the partitions still held (a batch that keeps failing). @defaultValue timeoutMs 2_000
   */
  drained(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * An in-memory `KafkaConnection` for unit tests: topics are partitioned logs (murmur2 keys, as
 * the real publisher), consumers follow the real batch consumer's commit contract, transactions
 * are atomic. It stands in for Kafka in tests of pure logic only; what Kafka itself does
 * (rebalances, fencing, broker loss, markers taking offsets) is the integration tests' job.
 */
export function createInMemoryKafka(options: InMemoryKafkaOptions = {}): InMemoryKafka {
  const log = createInMemoryLog(options.now ?? Date.now);
  const faults = createFaults();
  const members = new Set<string>();
  const consumers = new Set<InMemoryBatchConsumer>();
  for (const spec of options.topics ?? []) log.createTopic(spec);

  const toRaw = (record: OutgoingRecord) => ({
    topic: record.topic,
    key: Buffer.from(record.key),
    value: typeof record.value === 'string' ? Buffer.from(record.value) : record.value,
    headers: record.headers ?? {},
  });

  const publisher: KafkaConnection['publisher'] = (settings = {}): Publisher => {
    let stopped = false;
    const send = (record: OutgoingRecord) => {
      if (stopped) throw new PublishError('publisher is stopped');
      try {
        faults.take('publish');
        log.write([toRaw(record)]);
      } catch (cause) {
        throw new PublishError(`Kafka did not acknowledge: ${(cause as Error).message}`, { cause });
      }
    };
    return {
      async publish(record) {
        const started = performance.now();
        let error: unknown;
        try {
          send(record);
        } catch (thrown) {
          error = thrown;
          throw thrown;
        } finally {
          settings.onBatch?.({ records: 1, durationMs: performance.now() - started, error });
        }
      },
      async start() {},
      isReady: async () => !stopped,
      async stop() {
        stopped = true;
      },
    };
  };

  const transactionalProducer: KafkaConnection['transactionalProducer'] = (producer) => {
    // One transaction at a time, in call order, like the real producer's queue.
    let queue: Promise<void> = Promise.resolve();
    const send: TransactionalProducer['send'] = (records, commit) => {
      const run = queue.then(() => {
        faults.take('transaction');
        for (const { topic } of records) log.describe(topic);
        // Throwing here aborts, as in the real producer: nothing below happens.
        producer.beforeCommit?.(records);
        log.write(records, commit ? [commit] : []);
      });
      queue = run.catch(() => {});
      return run;
    };
    return { send, async start() {}, stop: () => queue };
  };

  const lag = async (groupId: string, topics: string[]): Promise<PartitionLag[]> =>
    topics.flatMap((topic) =>
      log.partitions(topic).map((partition) => {
        const committed = log.committed(groupId, topic, partition);
        const end = log.end(topic, partition);
        return {
          topic,
          partition,
          committed,
          end: String(end),
          lag: Math.max(0, end - Number(committed ?? 0)),
        };
      }),
    );

  const groupAdmin = (): GroupAdmin => ({
    async endOffsets(topics) {
      const ends = new Map<string, string>();
      for (const topic of topics) {
        for (const partition of log.partitions(topic)) {
          ends.set(partitionKey(topic, partition), String(log.end(topic, partition)));
        }
      }
      return ends;
    },
    // Nothing here is ever deleted: every log starts at 0.
    async startOffsets(topics) {
      const starts = new Map<string, string>();
      for (const topic of topics) {
        for (const partition of log.partitions(topic))
          starts.set(partitionKey(topic, partition), '0');
      }
      return starts;
    },
    lag,
    async deleteGroup(groupId) {
      if (members.has(groupId)) throw new InMemoryKafkaError(`group ${groupId} is not empty`);
      log.deleteGroup(groupId);
    },
    async disconnect() {},
  });

  const ensureTopics = async (topics: TopicSpec[]) =>
    topics.filter((spec) => log.createTopic(spec)).map((spec) => spec.topic);

  const drain = async () => {
    const all = () => [...consumers];
    while (all().some((consumer) => consumer.busy())) {
      await Promise.all(all().map((consumer) => consumer.idle()));
    }
  };

  return {
    brokers: ['in-memory'],
    publisher,
    batchConsumer(consumer) {
      const created = createInMemoryBatchConsumer({
        log,
        faults,
        members,
        lag: () => lag(consumer.groupId, consumer.topics),
        options: consumer,
      });
      consumers.add(created);
      return created;
    },
    transactionalProducer,
    groupAdmin,
    ensureTopics,
    async ensureAndDescribeTopics(topics, configNames) {
      await ensureTopics(topics);
      return new Map(
        topics.map(({ topic }): [string, TopicDescription] => {
          const { partitions, config } = log.describe(topic);
          const named = Object.entries(config).filter(([name]) => configNames.includes(name));
          return [topic, { topic, partitions, config: Object.fromEntries(named) }];
        }),
      );
    },
    isKafkaError: (error) => error instanceof InMemoryKafkaError,
    records: (topic) => log.readAll(topic),
    committed: (groupId, topic, partition) => log.committed(groupId, topic, partition),
    failNext: (point, error) => faults.failNext(point, error),
    async drained({ timeoutMs = 2_000 } = {}) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const held = [...consumers].flatMap((consumer) => consumer.held());
          reject(new Error(`in-memory Kafka not drained within ${timeoutMs} ms; held: ${held}`));
        }, timeoutMs);
      });
      try {
        await Promise.race([drain(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
