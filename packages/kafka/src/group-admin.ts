import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';

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

  const offsets = async (topics: string[], which: 'low' | 'high') => {
    await ready();
    const found = new Map<string, string>();
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) {
        found.set(partitionKey(topic, partition.partition), partition[which]);
      }
    }
    return found;
  };
  const endOffsets = (topics: string[]) => offsets(topics, 'high');

  return {
    endOffsets,
    startOffsets: (topics) => offsets(topics, 'low'),
    async lag(groupId, topics) {
      await ready();
      const [ends, committed] = await Promise.all([
        endOffsets(topics),
        admin.fetchOffsets({ groupId, topics }),
      ]);
      return committed.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => {
          const end = ends.get(partitionKey(topic, partition)) ?? '0';
          const position = offset === '-1' ? null : offset;
          // Before the first commit the group starts at the log start; counting from 0 overstates
          // lag only for partitions whose oldest records were deleted by retention.
          const lag = Math.max(0, Number(BigInt(end) - BigInt(position ?? '0')));
          return { topic, partition, committed: position, end, lag };
        }),
      );
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
