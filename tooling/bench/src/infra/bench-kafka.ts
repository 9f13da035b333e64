import {
  createKafkaAdmin,
  followTopics,
  type KafkaSecurity,
  type KafkaToolOptions,
  offsetSum,
  type PartitionOffsets,
  type ReadRecord,
  waitFor,
} from '@kafka-ecs/testing';

export type { PartitionOffsets, ReadRecord } from '@kafka-ecs/testing';

export interface TopicFollower {
  /** True once every partition has been read up to `to` (control records included). */
  caughtUp(to: PartitionOffsets): boolean;
  stop(): Promise<void>;
}

/**
 * What the bench asks of the broker: its own topics and groups (created, measured, deleted),
 * offsets, and reading a range of a topic back for the checks. Tooling, so it goes through the
 * harness's raw Kafka (@kafka-ecs/testing); the services' code goes through @kafka-ecs/kafka.
 */
export function createBenchKafka(brokers: string[], security: KafkaSecurity = {}) {
  const connection: KafkaToolOptions = {
    ...security,
    brokers,
    clientId: 'bench',
    requestTimeoutMs: 30_000,
  };
  const admin = createKafkaAdmin(connection);
  /** Readers' groups whose deletion failed when they stopped: retried with the run's groups. */
  const undeletedReaders = new Set<string>();

  return {
    /** Creates the run's topics in one request; `configs` holds per-topic settings, by name. */
    async createTopics(
      topics: string[],
      options: { partitions?: number; configs?: Record<string, Record<string, string>> } = {},
    ) {
      await admin.createTopics(
        topics.map((topic) => ({
          topic,
          partitions: options.partitions,
          config: options.configs?.[topic],
        })),
      );
    },
    /** Deletes topics this run created (never anyone else's). */
    deleteTopics: (topics: string[]) => admin.deleteTopics(topics),
    /**
     * Deletes the run's groups (and any reader's group left over). The run registers the
     * consumers' `.retry` and `.dead-letters` groups whether or not they ever ran: a missing
     * group is fine, any other answer throws.
     */
    async deleteGroups(groups: string[]) {
      await admin.deleteGroups([...new Set([...groups, ...undeletedReaders])]);
      undeletedReaders.clear();
    },
    endOffsets: (topic: string) => admin.endOffsets(topic),
    /**
     * Offsets in the topic: the sum of its partitions' end offsets. The record count for a topic
     * written without transactions (control records take offsets too).
     */
    async recordCount(topic: string): Promise<number> {
      return Number(offsetSum(await admin.endOffsets(topic)));
    },
    /** Sum of the group's committed offsets on the topic (0 for a partition not committed yet). */
    async committedCount(groupId: string, topic: string): Promise<number> {
      const committed = await admin.committedOffsets(groupId, [topic]);
      return Number(offsetSum(committed.get(topic) ?? new Map()));
    },
    /** Commits the topic's end offsets for a group no member runs yet: it starts at the end. */
    async startGroupAtEnd(groupId: string, topic: string) {
      await admin.setGroupOffsets(groupId, topic, await admin.endOffsets(topic));
    },
    /**
     * Follows `topic` from `from` (default: the start) with a group of its own, handing every
     * record to `onRecord` as it arrives.
     */
    async follow(
      topic: string,
      onRecord: (record: ReadRecord) => void,
      options: { from?: PartitionOffsets } = {},
    ): Promise<TopicFollower> {
      const follower = await followTopics(connection, [topic], onRecord, {
        from: options.from && new Map([[topic, options.from]]),
        groupId: `bench-reader-${crypto.randomUUID().slice(0, 12)}`,
      });
      return {
        caughtUp: (to) => follower.caughtUp(topic, to),
        async stop() {
          if (!(await follower.stop())) undeletedReaders.add(follower.groupId);
        },
      };
    },
    /** Every record of `topic` from `from` (default: the start) up to `to`; bounded. */
    async readRange(
      topic: string,
      to: PartitionOffsets,
      options: { from?: PartitionOffsets; timeoutMs: number },
    ): Promise<ReadRecord[]> {
      const records: ReadRecord[] = [];
      const follower = await this.follow(
        topic,
        (record) => {
          if (BigInt(record.offset) < (to.get(record.partition) ?? 0n)) records.push(record);
        },
        options,
      );
      try {
        await waitFor(() => follower.caughtUp(to), {
          timeoutMs: options.timeoutMs,
          intervalMs: 20,
          description: `reading ${topic} back (${records.length} records so far)`,
        });
      } finally {
        await follower.stop();
      }
      return records;
    },
    close: () => admin.close(),
  };
}

export type BenchKafka = ReturnType<typeof createBenchKafka>;
