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

/**
 * Each partition's lag, from its end and the group's committed offset there (null: never
 * committed), for both libraries. A partition the group's answer left out is an error: taken for
 * "never committed", it would tell a group that has committed (the view-lost check) it has not.
 */
export function lagOf(
  groupId: string,
  ends: { topic: string; partition: number; end: string }[],
  committed: Map<string, string | null>,
): PartitionLag[] {
  const missing = ends
    .map(({ topic, partition }) => partitionKey(topic, partition))
    .filter((key) => !committed.has(key));
  if (missing.length > 0) {
    throw new Error(
      `the committed offsets of group ${groupId} came back without ${missing.join(', ')}`,
    );
  }
  return ends.map(({ topic, partition, end }) => {
    const position = committed.get(partitionKey(topic, partition)) ?? null;
    // Before the first commit the group starts at the log start; counting from 0 overstates lag
    // only for partitions whose oldest records were deleted by retention.
    const lag = Math.max(0, Number(BigInt(end) - BigInt(position ?? '0')));
    return { topic, partition, committed: position, end, lag };
  });
}

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

/** How long a catch-up wait's reads may keep failing before it gives up: a broker's restart. */
export const READS_FAILING_FOR_MS = 120_000;

/**
 * Waits until `groupId` has read every partition of `topics` up to `range`'s ends. A partition
 * counts from its start where the group has committed nothing: one that retention emptied has
 * nothing to read, and no client commits a partition it fetched nothing from. Polls every
 * `pollMs`, tells `onRemaining` the records still to commit, and rejects once `deadline`
 * (epoch ms) passes or `signal` aborts. A read that fails is tried again at the next poll, told
 * to `onReadFailed`: a broker restarting must not end an hour's replay. Reads failing for
 * `failingForMs` on end reject with the last error, so a lasting one (authorization) is not
 * waited on until the deadline; past the deadline it rejects as timed out, the error its cause.
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
    onReadFailed?: (error: unknown) => void;
    /** @defaultValue {@link READS_FAILING_FOR_MS} */
    failingForMs?: number;
    /** Stops the wait: it rejects with the signal's reason. */
    signal?: AbortSignal;
  },
): Promise<void> {
  const { signal } = options;
  const pause = () =>
    sleep(options.pollMs ?? 250, undefined, { signal }).catch((error: unknown) => {
      signal?.throwIfAborted();
      throw error;
    });
  let failingSince: number | undefined;
  for (;;) {
    signal?.throwIfAborted();
    let lag: PartitionLag[];
    try {
      lag = await admin.lag(groupId, topics);
      failingSince = undefined;
    } catch (error) {
      signal?.throwIfAborted();
      failingSince ??= Date.now();
      const now = Date.now();
      if (now - failingSince >= (options.failingForMs ?? READS_FAILING_FOR_MS)) throw error;
      if (now > options.deadline) {
        throw new Error(`group ${groupId} did not catch up in time: its progress unread`, {
          cause: error,
        });
      }
      options.onReadFailed?.(error);
      await pause();
      continue;
    }
    const committed = new Map(lag.map((p) => [partitionKey(p.topic, p.partition), p.committed]));
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
    await pause();
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

  // One request at a time. kafkajs hands a metadata refresh already under way to whoever asks
  // for one meanwhile, and that refresh names only the topics it knew when it began: a topic met
  // meanwhile is missing from the metadata, and its offsets come back without it, not with an
  // error (lag answered 16 of 24 partitions so). Callers share an admin: a metrics scrape asks
  // two lags at once, a replay its starts and ends.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(async () => {
      await ready();
      return work();
    });
    queue = run.catch(() => undefined);
    return run;
  };

  /** Each partition of `topics`, topic by topic in partition order, with its oldest and next offset. */
  const partitionOffsets = async (topics: string[]) => {
    const rows: { topic: string; partition: number; low: string; high: string }[] = [];
    for (const topic of new Set(topics)) {
      const partitions = await admin.fetchTopicOffsets(topic);
      partitions.sort((a, b) => a.partition - b.partition);
      for (const { partition, low, high } of partitions) rows.push({ topic, partition, low, high });
    }
    return rows;
  };
  const offsets = (topics: string[], which: 'low' | 'high') =>
    serially(async () => {
      const rows = await partitionOffsets(topics);
      return new Map(rows.map((row) => [partitionKey(row.topic, row.partition), row[which]]));
    });

  return {
    endOffsets: (topics) => offsets(topics, 'high'),
    startOffsets: (topics) => offsets(topics, 'low'),
    lag: (groupId, topics) =>
      serially(async () => {
        // The ends first: they meet each topic one at a time, and the group's offsets after
        // them need no refresh (an empty list would ask for every topic of the group).
        const ends = await partitionOffsets(topics);
        if (ends.length === 0) return [];
        const committed = new Map<string, string | null>();
        const asked = [...new Set(topics)];
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: asked })) {
          for (const { partition, offset } of partitions) {
            committed.set(partitionKey(topic, partition), offset === '-1' ? null : offset);
          }
        }
        return lagOf(
          groupId,
          ends.map(({ topic, partition, high }) => ({ topic, partition, end: high })),
          committed,
        );
      }),
    deleteGroup: (groupId) =>
      serially(async () => {
        await admin.deleteGroups([groupId]);
      }),
    async disconnect() {
      if (connected) await admin.disconnect();
      connected = undefined;
    },
  };
}
