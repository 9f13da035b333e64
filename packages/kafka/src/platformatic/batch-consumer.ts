import { setTimeout as sleep } from 'node:timers/promises';
import {
  Consumer,
  FetchIsolationLevels,
  findErrorBy,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import type {
  BatchConsumer,
  BatchConsumerOptions,
  ConsumedRecord,
  RecordBatch,
} from '../batch-consumer.ts';
import { FETCH_MAX_BYTES, FETCH_MAX_BYTES_PER_PARTITION } from '../fetch-limits.ts';
import type { GroupMember } from '../transactional-producer.ts';
import { withTimeout } from '../with-timeout.ts';
import { type PlatformaticClientOptions, platformaticBaseOptions } from './client.ts';
import { createPlatformaticGroupAdmin } from './group-admin.ts';

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;

// Most records taken from the stream's buffer for one round of batches.
const MAX_ROUND_RECORDS = 2_000;
// The stream starts a fetch only while it buffers fewer records than this (the library's
// default is 1,024) and pushes a fetch's records whole: it holds at most this plus one fetch
// from each broker (it fetches from every broker at once).
const STREAM_HIGH_WATER_MARK = 256;
// How long the group waits for its members to rejoin in a rebalance.
const REBALANCE_TIMEOUT_MS = 30_000;
// A JoinGroup request is answered only when that rebalance is over: a shorter request timeout
// would give up on a join the broker is still holding, and the retry would start it again. The
// library has one request timeout for every request, so a broker that stops answering is also
// noticed only after this long (heartbeats, fetches, LeaveGroup): the price of joins that work.
const JOIN_REQUEST_TIMEOUT_MS = REBALANCE_TIMEOUT_MS + 5_000;
// Longest wait for a stream: the group join and the offsets.
const OPEN_TIMEOUT_MS = 45_000;
// Longest wait for one commit: the library holds commits while the group rejoins, which may
// take a whole join. Shorter, a commit about to go would fail the round and replace the consumer,
// and the new member would rebalance the group again.
const COMMIT_TIMEOUT_MS = JOIN_REQUEST_TIMEOUT_MS + 5_000;

/** Records of one partition from one round, with the message whose commit covers them. */
interface PartitionRound {
  batch: RecordBatch;
  last: Message;
  member: GroupMember;
}

/**
 * The batch consumer on @platformatic/kafka, with the kafkajs one's contract: per-partition
 * batches in order, a batch committed only after its handler resolved (in one transaction with
 * its `produce` records), a failing batch held and retried in place with a growing pause while
 * the group heartbeats, and a revoked partition let go.
 *
 * The library hands out a stream of messages rather than batches: each round takes what the
 * stream has buffered, splits it by partition and handles the partitions concurrently. When the
 * stream ends on an error (a broker lost, a rebalance that needs a rejoin), a new one is opened
 * from the committed offsets after a pause; only an authentication or authorization failure is
 * fatal.
 */
export function createPlatformaticBatchConsumer(
  options: BatchConsumerOptions & { client: PlatformaticClientOptions },
): BatchConsumer {
  const { groupId, topics, handleBatch, logger } = options;
  if ((options.members ?? 1) !== 1) {
    throw new Error(
      `members is kafkajs only: @platformatic/kafka runs one, not ${options.members}`,
    );
  }
  const initialBackoffMs = options.initialBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const concurrency = options.partitionsConsumedConcurrently ?? 4;
  const newConsumer = () => {
    const created = new Consumer({
      ...platformaticBaseOptions({
        ...options.client,
        requestTimeoutMs: Math.max(options.client.requestTimeoutMs ?? 0, JOIN_REQUEST_TIMEOUT_MS),
      }),
      groupId,
      sessionTimeout,
      heartbeatInterval:
        options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor(sessionTimeout / 3)),
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      maxWaitTime: options.maxWaitTimeMs ?? 1_000,
      maxBytes: FETCH_MAX_BYTES,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
      isolationLevel: options.readUncommitted
        ? FetchIsolationLevels.READ_UNCOMMITTED
        : FetchIsolationLevels.READ_COMMITTED,
      // Offsets are committed by hand, only after a batch was handled.
      autocommit: false,
      // kafkajs' name for the round-robin assignment: the broker lets members into one group only
      // if they share a protocol name, and during a rolling switch of KAFKA_CLIENT the group has
      // members on both libraries. Either leader computes a round-robin assignment.
      protocols: [{ name: 'RoundRobinAssigner', version: 0 }],
    });
    created.on('consumer:group:join', ({ assignments }) => {
      if (created !== consumer) return;
      joined = true;
      logger.info(
        { groupId, assignment: toAssignment(assignments ?? []) },
        'joined consumer group',
      );
    });
    created.on('consumer:group:leave', () => {
      if (created === consumer) joined = false;
    });
    // The library reports a failed rejoin here and heartbeats no more: failing the stream makes
    // the loop replace this consumer. With no listener the 'error' would end the process.
    created.on('error', (error: Error) => {
      if (created !== consumer) return;
      joined = false;
      stream?.destroy(error);
    });
    return created;
  };
  let consumer = newConsumer();
  // A consumer whose stream failed may never get back into its group by itself (its membership
  // expired while the brokers were away, and its stream then waits for an assignment that does
  // not come): a new one joins afresh. The old one is closed without waiting for the group.
  const replaceConsumer = async () => {
    const old = consumer;
    consumer = newConsumer();
    joined = false;
    await closeConnections(old);
  };
  const admin = createPlatformaticGroupAdmin(options.client);
  const stopping = new AbortController();
  let joined = false;
  let stream: Stream | undefined;
  let loop: Promise<void> | undefined;
  // Set when a batch of the current round was given up uncommitted (revoked, or read in a
  // generation the group has left): the stream is reopened from the group's commits once the
  // round is over. The old stream's position is past that batch, and it keeps its position for
  // a partition that comes back to it with no commit yet.
  let readAgain = false;
  // Where this member last committed each partition, by `topic:partition` (the stream's keys).
  // A partition handed back uncommitted (revoked, stopping) is dropped until its next commit.
  const committed = new Map<string, { topic: string; partition: number; offset: bigint }>();

  const owns = (topic: string, partition: number) =>
    consumer.assignments?.some(
      (assigned) => assigned.topic === topic && assigned.partitions.includes(partition),
    ) ?? false;

  const giveUp = (batch: RecordBatch) => {
    committed.delete(keyOf(batch));
    readAgain = true;
  };

  const handlePartition = async ({ batch, last, member }: PartitionRound) => {
    for (let attempt = 1; ; attempt++) {
      // Stopping or revoked: leave the offsets uncommitted, whoever owns the partition next
      // starts from the last commit.
      if (stopping.signal.aborted || !owns(batch.topic, batch.partition)) {
        giveUp(batch);
        return;
      }
      try {
        const result = await handleBatch(batch);
        if (result && result.produce.length > 0) {
          if (!options.transactions) throw new Error('handleBatch returned records to produce');
          // The member and generation that read the batch go with the offsets: if the group
          // rebalanced meanwhile the broker refuses them and the transaction aborts.
          await options.transactions.send(result.produce, {
            groupId,
            topic: batch.topic,
            partition: batch.partition,
            offset: (last.offset + 1n).toString(),
            member,
          });
        }
        break;
      } catch (error) {
        options.onBatchFailed?.(batch, error, attempt);
        // The group rebalanced since the batch was read: its transaction was refused for the old
        // generation and would be refused again. Nothing of it is committed; it is read again
        // from the last commit, by this member or the partition's new owner.
        if (member.generationId !== consumer.generationId) {
          giveUp(batch);
          return;
        }
        const pauseMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1));
        logger.warn(
          { err: error, topic: batch.topic, partition: batch.partition, attempt, pauseMs },
          'batch failed; holding the partition and retrying without committing',
        );
        await sleep(pauseMs, undefined, { signal: stopping.signal }).catch(() => {});
      }
    }
    // Revoked while it was handled: its next owner reads it again from the last commit (the
    // handler is idempotent), and this member's commit could move the new owner's position.
    if (!owns(batch.topic, batch.partition)) {
      giveUp(batch);
      return;
    }
    // A commit that fails or times out leaves the batch to be read again (the handler is
    // idempotent): the stream is replaced and reads from the group's last commit.
    await withTimeout(Promise.resolve(last.commit()), COMMIT_TIMEOUT_MS);
    committed.set(keyOf(batch), { ...batch, offset: last.offset + 1n });
  };

  // A transaction ends with a commit marker after its last record. The stream never hands out
  // markers, so commits taken from records stop just before one and the group's lag would stay
  // at 1 on every topic written in transactions (the retry and dead-letter topics): the lag
  // alarms would never clear. When everything fetched has been handled (nothing buffered, no
  // round under way), a partition whose fetch position is past its last commit has only
  // markers in between, and that position is committed, as the Java consumer does.
  const commitPastMarkers = async (opened: Stream) => {
    if (opened.readableLength > 0 || stopping.signal.aborted) return;
    const offsets = [];
    for (const [key, last] of committed) {
      const position = opened.offsetsToFetch.get(key);
      if (position === undefined || position <= last.offset) continue;
      if (!owns(last.topic, last.partition)) continue;
      offsets.push({ topic: last.topic, partition: last.partition, offset: position });
    }
    if (offsets.length === 0) return;
    try {
      await consumer.commit({ offsets: offsets.map((offset) => ({ ...offset, leaderEpoch: -1 })) });
      for (const offset of offsets) committed.set(`${offset.topic}:${offset.partition}`, offset);
    } catch (error) {
      // Fenced by a rebalance, or the broker away: the next owner or the next round commits.
      logger.warn({ groupId, err: error }, 'could not commit past transaction markers');
    }
  };

  const handleRound = async (messages: Message[]) => {
    const rounds = splitByPartition(messages);
    let next = 0;
    const worker = async () => {
      while (next < rounds.length) await handlePartition(rounds[next++] as PartitionRound);
    };
    // Every partition's batch finishes (and commits) before the round fails on the first error.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(concurrency, rounds.length) }, worker),
    );
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  };

  const consumeUntilEnd = async (opened: Stream) => {
    // The stream fetches only while it is read in paused mode (`readableFlowing` false): once its
    // last 'readable' listener is gone it is back to null and stops fetching for good. This
    // listener keeps it fetching between the rounds' own.
    opened.on('readable', keepFetching);
    for (;;) {
      if (opened.readableLength === 0) await commitPastMarkers(opened);
      const messages = await readBuffered(opened, MAX_ROUND_RECORDS, stopping.signal);
      if (messages === null || stopping.signal.aborted) return;
      await handleRound(messages);
      if (readAgain) return;
    }
  };

  // Bounded: joining waits at most for the other members' rebalance timeout.
  const open = async () => {
    const opened = await withTimeout(
      consumer.consume({
        topics,
        mode: 'committed',
        highWaterMark: STREAM_HIGH_WATER_MARK,
        fallbackMode: options.fromBeginning ? 'earliest' : 'latest',
      }),
      OPEN_TIMEOUT_MS,
    );
    // A stream's failure reaches the loop through readBuffered; an 'error' emitted with no
    // listener (while the stream is being discarded, say) would end the process instead.
    opened.on('error', ignoreLateError);
    return opened;
  };

  // Closing a stream also ends its subscription: the next one would rejoin the group.
  const discard = async (old: Stream | undefined) => {
    if (stream === old) stream = undefined;
    // The next stream starts from the group's commits.
    committed.clear();
    await old?.close().catch(() => {});
  };

  // Reads until stopped; a stream that ends or fails is replaced by a new one after a pause.
  const run = async (first: Stream) => {
    let opened: Stream | undefined = first;
    for (let failures = 0; !stopping.signal.aborted; ) {
      try {
        opened ??= await open();
        stream = opened;
        // Stopped while it was opening: the loop's end closes it.
        if (stopping.signal.aborted) break;
        failures = 0;
        await consumeUntilEnd(opened);
        if (stopping.signal.aborted) break;
        if (!readAgain) throw new Error('the consumer stream ended');
        readAgain = false;
        logger.info({ groupId }, 'a batch was given up uncommitted; reading from the commits');
        // The new stream is opened before the old one closes, so the subscription never lapses:
        // no rejoin, which would rebalance every member again (and fence their batches).
        const next: Stream = await open();
        // Current before the old one goes: a consumer 'error' meanwhile must fail this stream.
        stream = next;
        await discard(opened);
        opened = next;
        if (stopping.signal.aborted) break;
      } catch (error) {
        await discard(opened);
        opened = undefined;
        if (stopping.signal.aborted) break;
        await replaceConsumer();
        if (isFatal(error)) {
          logger.error({ groupId, err: error }, 'consumer stopped: Kafka refused its credentials');
          options.onFatal?.(error);
          return;
        }
        const pauseMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** failures++);
        logger.warn({ groupId, err: error, pauseMs }, 'consumer stream failed; reopening');
        await sleep(pauseMs, undefined, { signal: stopping.signal }).catch(() => {});
      }
    }
    await discard(opened);
  };

  return {
    async start() {
      // The first stream is opened here, so start fails as the kafkajs consumer's does when the
      // group cannot be joined; the loop opens the later ones.
      const first = await open();
      stream = first;
      loop = run(first);
    },
    async stop() {
      // The loop lets the round under way finish and commit what it handled, starts nothing new
      // and closes its stream. It alone closes streams: the library resolves a second close() of
      // a stream at once, before the first has ended it, and the group could not be left then.
      stopping.abort();
      await loop;
      // Leaving the group makes the broker rebalance at once instead of after the session.
      await consumer.close().catch(async (error: unknown) => {
        logger.warn(
          { groupId, err: error },
          'could not leave the consumer group; it rebalances once the session expires',
        );
        await closeConnections(consumer);
      });
      await admin.disconnect();
      joined = false;
    },
    isJoined: () => joined,
    assignment: () => toAssignment(consumer.assignments ?? []),
    lag: () => admin.lag(groupId, topics),
  };
}

/**
 * Closes a consumer without waiting for its group, so nothing of it outlives the call: a forced
 * close fails too when the broker refuses the LeaveGroup, and its connections are then closed
 * by hand. Never rejects.
 */
function closeConnections(consumer: Consumer): Promise<void> {
  return consumer
    .close(true)
    .catch(() => new Promise<void>((resolve) => consumer.connections.close(() => resolve())));
}

function keepFetching() {}
function ignoreLateError() {}

const keyOf = ({ topic, partition }: { topic: string; partition: number }) =>
  `${topic}:${partition}`;

/**
 * Waits for what the stream has buffered and takes up to `max` of it; null once it ended or
 * `signal` aborted (an idle topic may buffer nothing for as long as it stays idle).
 */
function readBuffered(stream: Stream, max: number, signal: AbortSignal): Promise<Message[] | null> {
  const take = () => {
    const taken: Message[] = [];
    while (taken.length < max) {
      const message = stream.read() as Message | null;
      if (message === null) break;
      taken.push(message);
    }
    return taken;
  };
  const ready = take();
  if (ready.length > 0) return Promise.resolve(ready);
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      signal.removeEventListener('abort', onAbort);
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      outcome();
    };
    const onReadable = () => {
      const taken = take();
      if (taken.length > 0) settle(() => resolve(taken));
    };
    const onEnd = () => settle(() => (stream.errored ? reject(stream.errored) : resolve(null)));
    const onError = (error: Error) => settle(() => reject(error));
    const onAbort = () => settle(() => resolve(null));
    if (signal.aborted) return resolve(null);
    if (stream.destroyed || stream.readableEnded) {
      onEnd();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
  });
}

function splitByPartition(messages: Message[]): PartitionRound[] {
  const rounds = new Map<string, PartitionRound>();
  for (const message of messages) {
    const key = `${message.topic}/${message.partition}`;
    let round = rounds.get(key);
    if (!round) {
      const reader = message.metadata.consumer as Partial<GroupMember> | undefined;
      round = {
        batch: { topic: message.topic, partition: message.partition, records: [] },
        last: message,
        member: {
          memberId: reader?.memberId ?? '',
          generationId: reader?.generationId ?? -1,
        },
      };
      rounds.set(key, round);
    }
    round.batch.records.push(toRecord(message));
    round.last = message;
  }
  return [...rounds.values()];
}

function toRecord(message: Message): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of message.headers) headers[name.toString()] = value.toString();
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
    timestamp: message.timestamp.toString(),
  };
}

function toAssignment(assignments: { topic: string; partitions: number[] }[]) {
  return Object.fromEntries(assignments.map(({ topic, partitions }) => [topic, [...partitions]]));
}

// Credentials or permissions the broker refuses will not fix themselves: the process should stop
// so the orchestrator replaces it (and the alarm says why). Everything else is waited out.
const REFUSALS = [
  'SASL_AUTHENTICATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
];
function isFatal(thrown: unknown): boolean {
  if (!(thrown instanceof Error)) return false;
  const error = thrown;
  if (findErrorBy(error, 'code', 'PLT_KFK_AUTHENTICATION')) return true;
  // apiId is the error's name (apiCode its number).
  return REFUSALS.some((apiId) => findErrorBy(error, 'apiId', apiId) !== null);
}
