import type { OffsetCommit, RawRecord, TransactionalProducer } from './transactional-producer.ts';

/** One caller's share of a transaction. */
export interface Pending {
  records: RawRecord[];
  commit?: OffsetCommit;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface TransactionQueue {
  send: TransactionalProducer['send'];
  /** Resolves when no transaction is queued or under way. */
  idle(): Promise<void>;
}

/**
 * One transaction at a time (a producer has at most one open); whatever queued meanwhile goes
 * into the next one together. `run` writes the entries' records and commits their offsets in
 * one transaction, or throws having aborted it. Shared by both client libraries' producers.
 */
export function createTransactionQueue(
  run: (entries: Pending[]) => Promise<void>,
): TransactionQueue {
  let queue: Pending[] = [];
  let running: Promise<void> | undefined;

  const drain = async () => {
    while (queue.length > 0) {
      const entries = queue;
      queue = [];
      try {
        await run(entries);
        for (const entry of entries) entry.resolve();
      } catch (error) {
        if (entries.length === 1) {
          entries[0]?.reject(error);
          continue;
        }
        // One caller's records may be what failed (too large for its topic, say): give each
        // caller a transaction of its own, so one bad batch cannot fail everyone else's forever.
        for (const entry of entries) {
          await run([entry]).then(entry.resolve, entry.reject);
        }
      }
    }
    running = undefined;
  };

  return {
    send(records, commit) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ records, ...(commit ? { commit } : {}), resolve, reject });
        running ??= drain();
      });
    },
    async idle() {
      await running;
    },
  };
}

/**
 * The entries' commits per group and topic. Two batches of one partition in one transaction:
 * the later position wins.
 */
export function offsetsByGroup(entries: Pending[]): [string, OffsetCommit[]][] {
  const groups = new Map<string, Map<string, OffsetCommit>>();
  for (const { commit } of entries) {
    if (!commit) continue;
    const commits = groups.get(commit.groupId) ?? new Map<string, OffsetCommit>();
    const key = `${commit.topic}/${commit.partition}`;
    const previous = commits.get(key);
    if (previous === undefined || BigInt(commit.offset) > BigInt(previous.offset)) {
      commits.set(key, commit);
    }
    groups.set(commit.groupId, commits);
  }
  return [...groups].map(([groupId, commits]) => [groupId, [...commits.values()]]);
}
