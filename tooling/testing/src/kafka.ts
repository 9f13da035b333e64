import { Kafka, logLevel } from 'kafkajs';
import { testInfrastructure } from './infrastructure.ts';
import { uniqueName } from './unique-name.ts';
import { waitFor } from './wait-for.ts';

// Raw Kafka for tests: records as a test writes and reads them, below the product's own
// boundary (packages/kafka). The client library stays in this file and in packages/kafka.

/** A record as a test sends it: poison and all (any bytes, any headers). */
export interface TestRecord {
  key?: string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
}

/** A record as a test reads it back. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
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

function testKafka(clientId: string): Kafka {
  return new Kafka({
    brokers: testInfrastructure().kafkaBrokers,
    clientId,
    logLevel: logLevel.NOTHING,
  });
}

export async function connectRawProducer(): Promise<RawProducer> {
  const producer = testKafka('test-producer').producer({ allowAutoTopicCreation: false });
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
  const admin = testKafka('test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: options.partitions ?? 8,
        replicationFactor: 1,
        configEntries: Object.entries(options.config ?? {}).map(([name, value]) => ({
          name,
          value,
        })),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** The sum of `groupId`'s committed offsets on `topic` (partitions with none count as 0). */
export async function committedOffsetSum(groupId: string, topic: string): Promise<number> {
  const admin = testKafka('test-admin').admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce(
      (sum, { offset }) => sum + Math.max(0, Number(offset)),
      0,
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Commits `groupId`'s offsets at the topics' current end, so a consumer joining it reads only
 * what is written from now on (for topics that other runs share).
 */
export async function startGroupAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
  const admin = testKafka('test-admin').admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const partitions = (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({
        partition,
        offset: high,
      }));
      await admin.setOffsets({ groupId, topic, partitions });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Follows `topic` from its beginning in a group of its own, read-committed (as every consumer of
 * the system reads); `records` grows as the test runs.
 */
export async function followTopic(
  topic: string,
): Promise<{ records: ReadRecord[]; stop(): Promise<void> }> {
  const records: ReadRecord[] = [];
  const consumer = testKafka('test-reader').consumer({
    groupId: uniqueName('test-reader'),
    readUncommitted: false,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        if (value !== undefined) headers[name] = String(value);
      }
      records.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: message.value,
        headers,
      });
    },
  });
  return { records, stop: () => consumer.disconnect() };
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
