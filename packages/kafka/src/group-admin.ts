import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { notYetKafkajs, untilKnown } from './topic-admin.ts';

/** Where one partition of a consumer group stands. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** The group's committed offset (the next record it will read), or null before its first commit. */
  committed: string | null;
  /** The partition's high watermark: the offset the next record will get. */
  end: string;
  /** Records written but not yet committed by the group. */
  lag: number;
}

export interface GroupAdmin {
  /** Per partition, the offset the next record will get. */
  endOffsets(topics: string[]): Promise<Map<string, string>>;
  /** Per partition, the offset of its oldest record still kept (retention moves it on). */
  startOffsets(topics: string[]): Promise<Map<string, string>>;
  /** Committed offsets and lag of `groupId` on every partition of `topics`. */
  lag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  deleteGroup(groupId: string): Promise<void>;
  disconnect(): Promise<void>;
}

/** `topic/partition`, the key of the maps this module returns. */
export const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/** Where a replay reads: each partition's first record kept and its end, captured at its start. */
export interface ReplayRange {
  starts: Map<string, string>;
  ends: Map<string, string>;
}

/** The offsets a replay group of `topics` reads, from their oldest kept record to their end now. */
export async function replayRange(admin: GroupAdmin, topics: string[]): Promise<ReplayRange> {
  const [starts, ends] = await Promise.all([admin.startOffsets(topics), admin.endOffsets(topics)]);
  return { starts, ends };
}

/**
 * Waits until `groupId` has read every partition of `topics` up to `range`'s ends. A partition
 * counts from its start where the group has committed nothing: one that retention emptied has
 * nothing to read, and no client commits a partition it fetched nothing from. Polls every
 * `pollMs`, tells `onRemaining` the records still to commit, and rejects once `deadline`
 * (epoch ms) passes or `signal` aborts.
 */
export async function waitForCommitted(
  admin: GroupAdmin,
  groupId: string,
  topics: string[],
  range: ReplayRange,
  options: {
    deadline: number;
    pollMs?: number;
    onRemaining?: (remaining: number) => void;
    /** Stops the wait: it rejects with the signal's reason. */
    signal?: AbortSignal;
  },
): Promise<void> {
  const { signal } = options;
  for (;;) {
    signal?.throwIfAborted();
    const committed = new Map(
      (await admin.lag(groupId, topics)).map((p) => [
        partitionKey(p.topic, p.partition),
        p.committed,
      ]),
    );
    let remaining = 0;
    for (const [key, end] of range.ends) {
      const start = BigInt(range.starts.get(key) ?? '0');
      const position = BigInt(committed.get(key) ?? '0');
      remaining += Math.max(0, Number(BigInt(end) - (position > start ? position : start)));
    }
    options.onRemaining?.(remaining);
    if (remaining === 0) return;
    if (Date.now() > options.deadline) {
      throw new Error(`group ${groupId} did not catch up in time: ${remaining} records left`);
    }
    await sleep(options.pollMs ?? 250, undefined, { signal }).catch((error: unknown) => {
      signal?.throwIfAborted();
      throw error;
    });
  }
}

export function createGroupAdmin(client: Kafka): GroupAdmin {
  const admin = client.admin();
  let connected: Promise<void> | undefined;
  const ready = () => {
    connected ??= admin.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    return connected;
  };

  /** Each partition of `topics`, topic by topic in partition order, with its oldest and next offset. */
  const partitionOffsets = async (topics: string[]) => {
    await ready();
    const rows: { topic: string; partition: number; low: string; high: string }[] = [];
    for (const topic of topics) {
      const partitions = await admin.fetchTopicOffsets(topic);
      partitions.sort((a, b) => a.partition - b.partition);
      for (const { partition, low, high } of partitions) rows.push({ topic, partition, low, high });
    }
    return rows;
  };
  const offsets = async (topics: string[], which: 'low' | 'high') =>
    new Map(
      (await partitionOffsets(topics)).map((row) => [
        partitionKey(row.topic, row.partition),
        row[which],
      ]),
    );
  const endOffsets = (topics: string[]) => offsets(topics, 'high');

  return {
    endOffsets,
    startOffsets: (topics) => offsets(topics, 'low'),
    async lag(groupId, topics) {
      // One after the other: kafkajs refreshes its metadata for each topic it meets first, and a
      // refresh for the ends' topics that lands after the one for the group's can leave a topic
      // out of the metadata, whose offsets then come back without it, not with an error. An
      // answer without a partition the ends have is asked again.
      const ends = await partitionOffsets(topics);
      const committed = await untilKnown(
        async () => {
          const found = new Map<string, string>();
          for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
            for (const { partition, offset } of partitions) {
              found.set(partitionKey(topic, partition), offset);
            }
          }
          return ends.every((row) => found.has(partitionKey(row.topic, row.partition)))
            ? found
            : undefined;
        },
        notYetKafkajs,
        `the committed offsets of group ${groupId} on every partition`,
      );
      return ends.map(({ topic, partition, high: end }) => {
        const offset = committed.get(partitionKey(topic, partition));
        const position = offset === undefined || offset === '-1' ? null : offset;
        // Before the first commit the group starts at the log start; counting from 0 overstates
        // lag only for partitions whose oldest records were deleted by retention.
        const lag = Math.max(0, Number(BigInt(end) - BigInt(position ?? '0')));
        return { topic, partition, committed: position, end, lag };
      });
    },
    async deleteGroup(groupId) {
      await ready();
      await admin.deleteGroups([groupId]);
    },
    async disconnect() {
      if (connected) await admin.disconnect();
      connected = undefined;
    },
  };
}
