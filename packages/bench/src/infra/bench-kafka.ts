import { randomBytes } from 'node:crypto';
import { type Admin, type IHeaders, Kafka, logLevel } from 'kafkajs';

/** A record as the checks read it back. */
export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Per partition, an offset (the next record's). */
export type PartitionOffsets = Map<number, bigint>;

/**
 * What the bench asks of the broker: its own topics and groups (created, measured, deleted),
 * offsets, and reading a range of a topic back for the checks. A dev tool next to the devstack,
 * so it talks kafkajs directly like the devstack does; the services' code goes through
 * @kafka-ecs/kafka.
 */
export function createBenchKafka(brokers: string[]) {
  const kafka = new Kafka({
    brokers,
    clientId: 'bench',
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  const admin: Admin = kafka.admin();
  let connected: Promise<void> | undefined;
  const ready = () => {
    connected ??= admin.connect();
    return connected;
  };

  const endOffsets = async (topic: string): Promise<PartitionOffsets> => {
    await ready();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map(({ partition, high }) => [partition, BigInt(high)]));
  };

  return {
    async createTopics(
      topics: string[],
      options: { partitions?: number; config?: Record<string, string> } = {},
    ) {
      await ready();
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
    },
    /** Deletes topics this run created (never anyone else's). */
    async deleteTopics(topics: string[]) {
      if (topics.length === 0) return;
      await ready();
      await admin.deleteTopics({ topics, timeout: 30_000 });
    },
    async deleteGroups(groups: string[]) {
      if (groups.length === 0) return;
      await ready();
      await admin.deleteGroups(groups).catch(() => {});
    },
    endOffsets,
    /** Records in the topic: the sum of its partitions' end offsets (topics the bench made). */
    async recordCount(topic: string): Promise<number> {
      let sum = 0n;
      for (const offset of (await endOffsets(topic)).values()) sum += offset;
      return Number(sum);
    },
    /** Sum of the group's committed offsets on the topic (0 for a partition not committed yet). */
    async committedCount(groupId: string, topic: string): Promise<number> {
      await ready();
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      let sum = 0n;
      for (const { offset } of entry?.partitions ?? []) if (offset !== '-1') sum += BigInt(offset);
      return Number(sum);
    },
    /** Commits the topic's end offsets for a group no member runs yet: it starts at the end. */
    async startGroupAtEnd(groupId: string, topic: string) {
      const ends = await endOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: [...ends].map(([partition, offset]) => ({
          partition,
          offset: String(offset),
        })),
      });
    },
    /**
     * Reads every record of `topic` from `from` (default: the start) up to `to`, with a group of
     * its own that is deleted afterwards. Rejects past `timeoutMs`.
     */
    async readRange(
      topic: string,
      to: PartitionOffsets,
      options: { from?: PartitionOffsets; timeoutMs: number },
    ): Promise<ReadRecord[]> {
      await ready();
      const groupId = `bench-reader-${randomBytes(6).toString('hex')}`;
      const remaining = new Map<number, bigint>();
      for (const [partition, end] of to) {
        const start = options.from?.get(partition) ?? 0n;
        if (end > start) remaining.set(partition, end);
      }
      if (remaining.size === 0) return [];
      if (options.from) {
        await admin.setOffsets({
          groupId,
          topic,
          partitions: [...options.from].map(([partition, offset]) => ({
            partition,
            offset: String(offset),
          })),
        });
      }
      const records: ReadRecord[] = [];
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, maxBytes: 64 << 20 });
      let timer: NodeJS.Timeout | undefined;
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `reading ${topic} back: ${records.length} records after ${options.timeoutMs} ms, partitions ${[...remaining.keys()].join(',')} incomplete`,
                ),
              ),
            options.timeoutMs,
          );
          consumer
            .run({
              autoCommit: false,
              eachBatch: async ({ batch }) => {
                const end = remaining.get(batch.partition);
                if (end === undefined) return;
                for (const message of batch.messages) {
                  if (BigInt(message.offset) >= end) break;
                  records.push({
                    partition: batch.partition,
                    offset: message.offset,
                    key: message.key?.toString() ?? null,
                    value: message.value,
                    headers: stringHeaders(message.headers),
                  });
                  if (BigInt(message.offset) + 1n >= end) remaining.delete(batch.partition);
                }
                if (remaining.size === 0) resolve();
              },
            })
            .catch(reject);
        });
      } finally {
        clearTimeout(timer);
        await consumer.disconnect().catch(() => {});
        await admin.deleteGroups([groupId]).catch(() => {});
      }
      return records;
    },
    async close() {
      await admin.disconnect().catch(() => {});
    },
  };
}

export type BenchKafka = ReturnType<typeof createBenchKafka>;

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    result[name] = String(Array.isArray(value) ? value[0] : value);
  }
  return result;
}
