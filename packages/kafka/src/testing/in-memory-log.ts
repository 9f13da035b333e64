import type { PartitionMetadata } from 'kafkajs';
import type { ConsumedRecord } from '../batch-consumer.ts';
import { partitionKey } from '../group-admin.ts';
import { createMurmur2Partitioner } from '../partitioner.ts';
import type { TopicSpec } from '../topic-admin.ts';
import type { OffsetCommit, RawRecord } from '../transactional-producer.ts';
import { InMemoryKafkaError } from './faults.ts';

interface Topic {
  partitions: ConsumedRecord[][];
  config: Record<string, string>;
  partitionOf: (key: Buffer | null) => number;
}

/** A copy a reader may change without changing the log. */
const copyOf = (record: ConsumedRecord): ConsumedRecord => ({
  ...record,
  headers: { ...record.headers },
});

/**
 * The double's "broker": topics as partitioned logs and the groups' committed offsets. Offsets
 * are consecutive from 0: no transaction markers take one, and an aborted write takes none.
 */
export function createInMemoryLog(now: () => number) {
  const topics = new Map<string, Topic>();
  // groupId → `topic/partition` → the next offset the group reads.
  const groups = new Map<string, Map<string, string>>();
  const listeners = new Set<(topic: string, partition: number) => void>();

  const topicOf = (name: string): Topic => {
    const topic = topics.get(name);
    // As with allowAutoTopicCreation: false, a write to a missing topic is refused.
    if (!topic) throw new InMemoryKafkaError(`topic ${name} does not exist`);
    return topic;
  };
  const partitionOf = (name: string, partition: number): ConsumedRecord[] => {
    const log = topicOf(name).partitions[partition];
    if (!log) throw new InMemoryKafkaError(`topic ${name} has no partition ${partition}`);
    return log;
  };

  return {
    /** Creates the topic unless it exists; true when it created it. */
    createTopic(spec: TopicSpec): boolean {
      if (topics.has(spec.topic)) return false;
      const metadata: PartitionMetadata[] = Array.from({ length: spec.partitions }, (_, id) => ({
        partitionErrorCode: 0,
        partitionId: id,
        leader: 0,
        replicas: [0],
        isr: [0],
      }));
      // The package's own partitioner: a key lands where the real publisher would put it.
      const partitioner = createMurmur2Partitioner();
      topics.set(spec.topic, {
        partitions: metadata.map(() => []),
        config: { ...spec.config },
        partitionOf: (key) =>
          partitioner({
            topic: spec.topic,
            partitionMetadata: metadata,
            message: { key, value: null },
          }),
      });
      return true;
    },
    exists: (name: string) => topics.has(name),
    /** Partition count and configuration; throws for a missing topic. */
    describe(name: string) {
      const topic = topicOf(name);
      return { partitions: topic.partitions.length, config: { ...topic.config } };
    },
    /**
     * Appends every record and applies every commit, or, when one record's topic is missing,
     * nothing at all: what a committed transaction makes visible to read-committed readers.
     */
    write(records: RawRecord[], commits: OffsetCommit[] = []): ConsumedRecord[] {
      const targets = records.map((record) => topicOf(record.topic));
      const written = records.map((record, index) => {
        const topic = targets[index] as Topic;
        const partition = topic.partitionOf(record.key);
        const log = topic.partitions[partition] as ConsumedRecord[];
        const stored: ConsumedRecord = {
          topic: record.topic,
          partition,
          offset: String(log.length),
          key: record.key === null ? null : Buffer.from(record.key),
          value: record.value === null ? null : Buffer.from(record.value),
          headers: { ...record.headers },
          timestamp: String(now()),
        };
        log.push(stored);
        return stored;
      });
      for (const { groupId, topic, partition, offset } of commits) {
        const offsets = groups.get(groupId) ?? new Map<string, string>();
        offsets.set(partitionKey(topic, partition), offset);
        groups.set(groupId, offsets);
      }
      for (const { topic, partition } of written) {
        for (const listener of listeners) listener(topic, partition);
      }
      return written.map(copyOf);
    },
    /** The records of one partition from offset `from` on. */
    read: (topic: string, partition: number, from: number): ConsumedRecord[] =>
      partitionOf(topic, partition).slice(from).map(copyOf),
    /** Every record of the topic, partition by partition, each in offset order. */
    readAll: (name: string): ConsumedRecord[] =>
      topicOf(name).partitions.flatMap((log) => log.map(copyOf)),
    /** The high watermark: the offset the partition's next record gets. */
    end: (topic: string, partition: number): number => partitionOf(topic, partition).length,
    partitions: (name: string): number[] => topicOf(name).partitions.map((_, id) => id),
    committed: (groupId: string, topic: string, partition: number): string | null =>
      groups.get(groupId)?.get(partitionKey(topic, partition)) ?? null,
    deleteGroup: (groupId: string) => groups.delete(groupId),
    /** Calls `listener` for each record written; returns the unsubscribe. */
    onWrite(listener: (topic: string, partition: number) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type InMemoryLog = ReturnType<typeof createInMemoryLog>;
