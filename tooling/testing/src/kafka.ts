import { testInfrastructure } from './infrastructure.ts';
import { type KafkaToolOptions, kafkaClient, offsetSum, withKafkaAdmin } from './kafka-admin.ts';
import { followTopics, type ReadRecord } from './topic-follower.ts';
import { waitFor } from './wait-for.ts';

// Raw Kafka for tests: records as a test writes and reads them, below the product's own
// boundary (packages/kafka), on the tests' stack unless a broker list is given.

/** A record as a test sends it: poison and all (any bytes, any headers). */
export interface TestRecord {
  key?: string | Buffer | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer>;
}

export interface RawProducer {
  /**
   * Sends `records` to `topic` (key-partitioned, acknowledged by all in-sync replicas) and
   * resolves with where the first of them landed.
   */
  send(topic: string, records: TestRecord[]): Promise<{ partition: number; offset: string }>;
  /** One request for several topics, as a service's batch would be. */
  sendToTopics(records: Record<string, TestRecord[]>): Promise<void>;
  close(): Promise<void>;
}

// The stack's TLS and SASL too, so the helpers reach the secure stack when the env names it.
const onTestStack = (clientId: string): KafkaToolOptions => {
  const { kafkaBrokers, kafkaSecurity } = testInfrastructure();
  return { ...kafkaSecurity, brokers: kafkaBrokers, clientId };
};

/**
 * A producer that writes records as they are (no envelope, no schema): what the services' own
 * publisher would never send. `idempotent` for tests that count records across broker faults.
 */
export async function connectRawProducer(
  options: { brokers?: string[]; idempotent?: boolean } = {},
): Promise<RawProducer> {
  const connection = options.brokers
    ? { brokers: options.brokers, clientId: 'test-producer' }
    : onTestStack('test-producer');
  const producer = kafkaClient(connection).producer({
    allowAutoTopicCreation: false,
    idempotent: options.idempotent ?? false,
  });
  await producer.connect();
  return {
    async send(topic, records) {
      const [landed] = await producer.send({ topic, acks: -1, messages: records });
      if (!landed) throw new Error(`Kafka acknowledged nothing for ${topic}`);
      return { partition: landed.partition, offset: landed.baseOffset ?? '' };
    },
    async sendToTopics(records) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: Object.entries(records).map(([topic, messages]) => ({ topic, messages })),
      });
    },
    close: () => producer.disconnect(),
  };
}

/** Creates `topics` (8 partitions, replication 1, as the stack's) and waits for their leaders. */
export async function createTestTopics(
  topics: string[],
  options: { partitions?: number; config?: Record<string, string> } = {},
): Promise<void> {
  await withKafkaAdmin(onTestStack('test-admin'), (admin) =>
    admin.createTopics(
      topics.map((topic) => ({ topic, partitions: options.partitions, config: options.config })),
    ),
  );
}

/** The sum of `groupId`'s committed offsets on `topic` (partitions with none count as 0). */
export async function committedOffsetSum(groupId: string, topic: string): Promise<number> {
  const committed = await withKafkaAdmin(onTestStack('test-admin'), (admin) =>
    admin.committedOffsets(groupId, [topic]),
  );
  return Number(offsetSum(committed.get(topic) ?? new Map()));
}

/**
 * Commits `groupId`'s offsets at the topics' current end, so a consumer joining it reads only
 * what is written from now on (for topics that other runs share).
 */
export async function startGroupAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
  await withKafkaAdmin(onTestStack('test-admin'), async (admin) => {
    for (const topic of topics) {
      await admin.setGroupOffsets(groupId, topic, await admin.endOffsets(topic));
    }
  });
}

/**
 * Follows `topic` from its beginning in a group of its own, read-committed (as every consumer of
 * the system reads); `records` grows as the test runs. `stop` also deletes the group.
 */
export async function followTopic(
  topic: string,
): Promise<{ records: ReadRecord[]; stop(): Promise<void> }> {
  const records: ReadRecord[] = [];
  const follower = await followTopics(onTestStack('test-reader'), [topic], (record) =>
    records.push(record),
  );
  return {
    records,
    async stop() {
      await follower.stop();
    },
  };
}

/** How many offsets `topic` holds so far, its partitions' end offsets summed. */
export async function endOffsetSum(topic: string): Promise<number> {
  return withKafkaAdmin(onTestStack('test-admin'), async (admin) =>
    Number(offsetSum(await admin.endOffsets(topic))),
  );
}

/** Reads `topic` from the beginning until `count` records arrived (or the bound passes). */
export async function readTopic(
  topic: string,
  count: number,
  options: { timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const reader = await followTopic(topic);
  try {
    await waitFor(() => reader.records.length >= count, {
      timeoutMs: options.timeoutMs ?? 20_000,
      description: `${count} records on ${topic}`,
    });
    return reader.records;
  } finally {
    await reader.stop();
  }
}
