import { randomBytes } from 'node:crypto';
import { waitFor } from '@kafka-ecs/testing';
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

export interface TopicFollower {
  /** True once every partition has been read up to `to` (control records included). */
  caughtUp(to: PartitionOffsets): boolean;
  stop(): Promise<void>;
}

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

  /**
   * Deletes groups, where a group that does not exist (never joined, or gone already) is not a
   * failure: the run registers the consumers' `.retry` and `.dead-letters` groups whether or not
   * they ever ran. Any other answer (a group still in use, an unreachable coordinator) throws.
   */
  const deleteGroupsIfPresent = async (groups: string[]) => {
    await ready();
    try {
      await admin.deleteGroups(groups);
    } catch (error) {
      const answers = (error as { groups?: { groupId: string; error?: { type?: string } }[] })
        .groups;
      if (!answers) throw error;
      const failed = answers.filter((answer) => answer.error?.type !== 'GROUP_ID_NOT_FOUND');
      if (failed.length > 0) {
        const which = failed.map((answer) => `${answer.groupId} (${answer.error?.type})`);
        throw new Error(`could not delete groups: ${which.join(', ')}`, { cause: error });
      }
    }
  };
  /** Readers' groups whose deletion failed when they stopped: retried with the run's groups. */
  const undeletedReaders = new Set<string>();

  /** Commits `offsets` for a group no member runs yet: where it will start reading. */
  const setGroupOffsets = async (groupId: string, topic: string, offsets: PartitionOffsets) => {
    await ready();
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...offsets].map(([partition, offset]) => ({
        partition,
        offset: String(offset),
      })),
    });
  };

  return {
    /** Creates the run's topics in one request; `configs` holds per-topic settings, by name. */
    async createTopics(
      topics: string[],
      options: { partitions?: number; configs?: Record<string, Record<string, string>> } = {},
    ) {
      await ready();
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((topic) => ({
          topic,
          numPartitions: options.partitions ?? 8,
          replicationFactor: 1,
          configEntries: Object.entries(options.configs?.[topic] ?? {}).map(([name, value]) => ({
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
    /** Deletes the run's groups (and any reader's group left over); missing ones are fine. */
    async deleteGroups(groups: string[]) {
      const all = [...new Set([...groups, ...undeletedReaders])];
      if (all.length === 0) return;
      await deleteGroupsIfPresent(all);
      undeletedReaders.clear();
    },
    endOffsets,
    /**
     * Offsets in the topic: the sum of its partitions' end offsets. The record count for a topic
     * written without transactions (control records take offsets too).
     */
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
      await setGroupOffsets(groupId, topic, await endOffsets(topic));
    },
    /**
     * Follows `topic` from `from` (default: the start) with a group of its own, handing every
     * record to `onRecord` as it arrives. Transactional topics hold control records (commit
     * markers) that take offsets but are never delivered, so the position of each partition
     * comes from kafkajs' end-of-batch events, which count them.
     */
    async follow(
      topic: string,
      onRecord: (record: ReadRecord) => void,
      options: { from?: PartitionOffsets } = {},
    ): Promise<TopicFollower> {
      await ready();
      const groupId = `bench-reader-${randomBytes(6).toString('hex')}`;
      if (options.from) await setGroupOffsets(groupId, topic, options.from);
      const positions: PartitionOffsets = new Map(options.from ?? []);
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytes: 64 << 20 });
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const next = BigInt(payload.lastOffset) + 1n;
        if (next > (positions.get(payload.partition) ?? -1n))
          positions.set(payload.partition, next);
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            onRecord({
              partition: batch.partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value,
              headers: stringHeaders(message.headers),
            });
          }
        },
      });
      return {
        caughtUp(to) {
          for (const [partition, end] of to) {
            if (
              end > (options.from?.get(partition) ?? 0n) &&
              (positions.get(partition) ?? 0n) < end
            ) {
              return false;
            }
          }
          return true;
        },
        /** Never throws (it runs in `finally`); a group it cannot delete is retried at cleanup. */
        async stop() {
          try {
            await consumer.disconnect();
            await deleteGroupsIfPresent([groupId]);
          } catch {
            undeletedReaders.add(groupId);
          }
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
