import { randomBytes } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import {
  createKafkaAdmin,
  type KafkaToolOptions,
  kafkaClient,
  type PartitionOffsets,
} from './kafka-admin.ts';

/** A record as tooling reads it back. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface TopicFollower {
  readonly groupId: string;
  /**
   * The next offset to read on a partition, counting control records (transaction markers),
   * which take offsets but are never handed to `onRecord`; undefined before its first fetch.
   */
  position(topic: string, partition: number): bigint | undefined;
  /** True once every partition in `to` has been read up to its offset there. */
  caughtUp(topic: string, to: PartitionOffsets): boolean;
  /**
   * Leaves the group and deletes it. Never throws (it runs in `finally`): resolves false when
   * the group could not be deleted, for the caller to retry with `KafkaAdmin.deleteGroups`.
   */
  stop(): Promise<boolean>;
}

export interface FollowOptions {
  /** Where to start, by topic; a topic not named starts at its beginning. */
  from?: Map<string, PartitionOffsets>;
  /** @defaultValue a unique `reader-…` name */
  groupId?: string;
}

/**
 * Follows `topics` read-committed (as every consumer of the system reads) in a group of its own,
 * handing each record to `onRecord` as it arrives. A fetch that holds only a transaction's
 * commit marker never reaches a batch handler in kafkajs, so positions come from its
 * end-of-batch events, which do count them: a transactional partition is seen to its end.
 */
export async function followTopics(
  connection: KafkaToolOptions,
  topics: readonly string[],
  onRecord: (record: ReadRecord) => void,
  options: FollowOptions = {},
): Promise<TopicFollower> {
  const groupId = options.groupId ?? `reader-${randomBytes(6).toString('hex')}`;
  const admin = createKafkaAdmin(connection);
  const positions = new Map<string, bigint>();
  const at = (topic: string, partition: number) => `${topic}:${partition}`;
  const advance = (topic: string, partition: number, lastOffset: string) => {
    const next = BigInt(lastOffset) + 1n;
    if (next > (positions.get(at(topic, partition)) ?? -1n))
      positions.set(at(topic, partition), next);
  };
  // Short fetch waits: leaving the group waits for the fetch under way (5 s long-poll default).
  const consumer = kafkaClient(connection).consumer({
    groupId,
    maxWaitTimeInMs: 100,
    maxBytes: 64 << 20,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    advance(payload.topic, payload.partition, payload.lastOffset),
  );
  const stop = async () => {
    try {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]);
      return true;
    } catch {
      return false;
    } finally {
      await admin.close();
    }
  };
  try {
    for (const [topic, offsets] of options.from ?? []) {
      await admin.setGroupOffsets(groupId, topic, offsets);
      for (const [partition, offset] of offsets) positions.set(at(topic, partition), offset);
    }
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          onRecord({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            key: message.key?.toString('utf8') ?? null,
            value: message.value,
            headers: stringHeaders(message.headers),
          });
        }
        advance(batch.topic, batch.partition, batch.lastOffset());
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    groupId,
    position: (topic, partition) => positions.get(at(topic, partition)),
    caughtUp(topic, to) {
      for (const [partition, end] of to) {
        const start = options.from?.get(topic)?.get(partition) ?? 0n;
        if (end > start && (positions.get(at(topic, partition)) ?? 0n) < end) return false;
      }
      return true;
    },
    stop,
  };
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    result[name] = String(Array.isArray(value) ? value[0] : value);
  }
  return result;
}
