import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchConsumer, BatchConsumerOptions, RecordBatch } from '../batch-consumer.ts';
import { partitionKey } from '../group-admin.ts';
import type { Logger } from '../logger.ts';
import type { Faults } from './faults.ts';
import type { InMemoryLog } from './in-memory-log.ts';

export type InMemoryBatchConsumerOptions = Omit<BatchConsumerOptions, 'client' | 'logger'> & {
  logger?: Logger;
};

/** A batch consumer of the double, plus what `drained()` needs to know about it. */
export interface InMemoryBatchConsumer extends BatchConsumer {
  /** True while a partition's batch is being handled, or held because it keeps failing. */
  busy(): boolean;
  /** Resolves once no batch is in flight: every owned partition is committed to its end. */
  idle(): Promise<void>;
  /** The partitions (`topic/partition`) with a batch in flight. */
  held(): string[];
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The real batch consumer's contract over the in-memory log: every partition is delivered in
 * offset order, one batch (all records up to the end) at a time; its offset is committed only
 * after `handleBatch` resolved, with its `produce` records in one transaction when there are
 * any. A rejected batch is offered again, unchanged, after a backoff (1 ms doubling to 20 ms by
 * default, so tests stay fast). No rebalancing: the group's only member owns every partition.
 */
export function createInMemoryBatchConsumer(deps: {
  log: InMemoryLog;
  faults: Faults;
  /** Groups with a running member, shared by the connection's consumers. */
  members: Set<string>;
  lag: BatchConsumer['lag'];
  options: InMemoryBatchConsumerOptions;
}): InMemoryBatchConsumer {
  const { log, faults, options } = deps;
  const { groupId, topics, handleBatch } = options;
  const logger = options.logger ?? silent;
  const initialBackoffMs = options.initialBackoffMs ?? 1;
  const maxBackoffMs = options.maxBackoffMs ?? 20;
  let running = false;
  let stopping = new AbortController();
  let unsubscribe = () => {};
  let assignment: Record<string, number[]> = {};
  const positions = new Map<string, number>();
  const active = new Map<string, Promise<void>>();

  const backoff = (attempt: number) =>
    sleep(Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1)), undefined, {
      signal: stopping.signal,
    }).catch(() => {});

  /** Offers one batch until it is committed (true) or the consumer stops (false). */
  const deliver = async (batch: RecordBatch): Promise<boolean> => {
    const last = Number(batch.records.at(-1)?.offset);
    const commit = { groupId, topic: batch.topic, partition: batch.partition };
    const offset = String(last + 1);
    for (let attempt = 1; running; attempt++) {
      try {
        const result = await handleBatch(batch);
        if (result && result.produce.length > 0) {
          if (!options.transactions) throw new Error('handleBatch returned records to produce');
          // Stopped meanwhile: the real consumer leaves it uncommitted for the partition's next
          // owner, since a transactional commit is not fenced.
          if (!running) return false;
          await options.transactions.send(result.produce, { ...commit, offset });
          return true;
        }
      } catch (error) {
        options.onBatchFailed?.(batch, error, attempt);
        logger.warn({ err: error, ...commit, attempt }, 'batch failed; offering it again');
        await backoff(attempt);
        continue;
      }
      // A plain commit. When it fails, kafkajs restarts the consumer from the committed
      // offset, which offers the batch again; onBatchFailed is not called for it.
      try {
        faults.take('commit');
        log.write([], [{ ...commit, offset }]);
        return true;
      } catch (error) {
        logger.warn({ err: error, ...commit }, 'offset commit failed; offering the batch again');
        await backoff(attempt);
      }
    }
    return false;
  };

  const pump = async (topic: string, partition: number) => {
    // Never inside the writer's call: a real consumer receives records later, not during send.
    await null;
    const key = partitionKey(topic, partition);
    while (running) {
      const from = positions.get(key) ?? 0;
      const records = log.read(topic, partition, from);
      if (records.length === 0) return;
      if (!(await deliver({ topic, partition, records }))) return;
      positions.set(key, from + records.length);
    }
  };

  const kick = (topic: string, partition: number) => {
    const key = partitionKey(topic, partition);
    if (!running || active.has(key)) return;
    const run = pump(topic, partition)
      .catch((error: unknown) => logger.error({ err: error, topic, partition }, 'pump failed'))
      .finally(() => {
        active.delete(key);
        // Written to after the pump's last read and before this line: go round again.
        if (running && (positions.get(key) ?? 0) < log.end(topic, partition)) {
          kick(topic, partition);
        }
      });
    active.set(key, run);
  };

  return {
    async start() {
      if (running) return;
      if (deps.members.has(groupId)) {
        throw new Error(`group ${groupId} already has a member; the in-memory double has one`);
      }
      const owned = Object.fromEntries(topics.map((topic) => [topic, log.partitions(topic)]));
      deps.members.add(groupId);
      running = true;
      stopping = new AbortController();
      assignment = owned;
      for (const [topic, partitions] of Object.entries(owned)) {
        for (const partition of partitions) {
          const committed = log.committed(groupId, topic, partition);
          const start = options.fromBeginning ? 0 : log.end(topic, partition);
          positions.set(partitionKey(topic, partition), Number(committed ?? start));
        }
      }
      unsubscribe = log.onWrite((topic, partition) => {
        if (topics.includes(topic)) kick(topic, partition);
      });
      for (const [topic, partitions] of Object.entries(owned)) {
        for (const partition of partitions) kick(topic, partition);
      }
    },
    async stop() {
      if (!running) return;
      running = false;
      stopping.abort();
      unsubscribe();
      // The in-flight batches finish; those that resolved without records commit.
      await Promise.all(active.values());
      deps.members.delete(groupId);
      assignment = {};
    },
    isJoined: () => running,
    assignment: () => assignment,
    lag: () => deps.lag(),
    busy: () => active.size > 0,
    async idle() {
      while (active.size > 0) await Promise.all(active.values());
    },
    held: () => [...active.keys()],
  };
}
