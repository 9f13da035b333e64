import { setTimeout as sleep } from 'node:timers/promises';
import { testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { Kafka, logLevel } from 'kafkajs';
import { createBatchConsumer } from '../src/batch-consumer.ts';
import { FETCH_MAX_BYTES_PER_PARTITION } from '../src/fetch-limits.ts';
import {
  type BatchConsumer,
  createKafkaConnection,
  KAFKA_LIBRARIES,
  type KafkaConnection,
  type KafkaLibrary,
  type RecordBatch,
  replayRange,
  waitForCommitted,
} from '../src/index.ts';

const { kafkaBrokers } = testInfrastructure();
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** What a test started, stopped after it in reverse order. */
function stopsAfterEach(): (() => Promise<void>)[] {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });
  return stops;
}

/**
 * A group member (not started) reading `topic` from the beginning, each batch to `handle`; short
 * backoffs for the failing-batch cases. Stopped after the test through `stops`.
 */
function consumeFromStart(
  kafka: KafkaConnection,
  stops: (() => Promise<void>)[],
  topic: string,
  groupId: string,
  handle: (batch: RecordBatch) => Promise<void> | void,
): BatchConsumer {
  const consumer = kafka.batchConsumer({
    groupId,
    topics: [topic],
    fromBeginning: true,
    initialBackoffMs: 20,
    maxBackoffMs: 100,
    handleBatch: async (batch) => {
      await handle(batch);
      return undefined;
    },
  });
  stops.push(() => consumer.stop());
  return consumer;
}

describe.each(KAFKA_LIBRARIES)("the connection's batch consumer on %s", (library) => {
  const connect = () =>
    createKafkaConnection({
      brokers: kafkaBrokers,
      clientId: uniqueName(library),
      logger: silent,
      library,
    });
  const stops = stopsAfterEach();

  async function publish(kafka: ReturnType<typeof connect>, topic: string, count: number) {
    const publisher = kafka.publisher();
    stops.push(() => publisher.stop());
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        publisher.publish({ topic, key: `key-${i}`, value: `value-${i}`, headers: { n: `${i}` } }),
      ),
    );
  }

  const consume = (
    kafka: ReturnType<typeof connect>,
    topic: string,
    groupId: string,
    handle: (batch: RecordBatch) => Promise<void>,
  ) => consumeFromStart(kafka, stops, topic, groupId, handle);

  it("when retention deleted the oldest records, then the group admin places the partition's start after them and a replay of it has nothing left to wait for", async () => {
    const kafka = connect();
    const topic = uniqueName('retained');
    await kafka.ensureTopics([{ topic, partitions: 1 }]);
    await publish(kafka, topic, 5);
    // What retention does to a segment, done at once: the records before offset 3 are gone.
    const raw = new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await raw.connect();
    stops.push(() => raw.disconnect());
    await raw.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs it loaded
    const deleteBefore = (offset: string) =>
      raw.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset }] });
    await deleteBefore('3');
    const admin = kafka.groupAdmin();
    stops.push(() => admin.disconnect());
    const range = await replayRange(admin, [topic]);
    expect({ starts: [...range.starts], ends: [...range.ends] }).toEqual({
      starts: [[`${topic}/0`, '3']],
      ends: [[`${topic}/0`, '5']],
    });
    // All of it gone: a group that never read the partition (no commit) has nothing to wait for.
    await deleteBefore('5');
    const emptied = await replayRange(admin, [topic]);
    expect([...emptied.starts]).toEqual([[`${topic}/0`, '5']]);
    await waitForCommitted(admin, uniqueName('group'), [topic], emptied, { deadline: Date.now() });
  });

  it('when records are published, then each arrives once, in order per partition, with its key, value and headers, and the group commits them', async () => {
    const kafka = connect();
    const topic = uniqueName('batches');
    const groupId = uniqueName('group');
    await kafka.ensureTopics([{ topic, partitions: 4 }]);
    await publish(kafka, topic, 200);
    const seen = new Map<number, number[]>();
    // Checked after the wait: an expect that threw in the handler would fail the batch, which
    // the consumer offers again, not the test.
    const mismatched: string[] = [];
    const consumer = consume(kafka, topic, groupId, async (batch) => {
      for (const record of batch.records) {
        const n = String(record.headers.n);
        const whole =
          record.key?.toString() === `key-${n}` &&
          record.value?.toString() === `value-${n}` &&
          Number(record.timestamp) > 0;
        if (!whole) mismatched.push(`${batch.partition}@${record.offset}`);
        seen.set(batch.partition, [...(seen.get(batch.partition) ?? []), Number(record.offset)]);
      }
    });
    await consumer.start();
    await waitFor(() => [...seen.values()].flat().length >= 200, {
      timeoutMs: 20_000,
      description: 'all 200 records handled',
    });
    expect(mismatched).toEqual([]);
    for (const offsets of seen.values()) {
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    expect(consumer.isJoined()).toBe(true);
    expect(consumer.assignment()[topic]?.sort()).toEqual([0, 1, 2, 3]);
    const lag = await waitFor(
      async () => {
        const partitions = await consumer.lag();
        return partitions.every((partition) => partition.lag === 0) && partitions;
      },
      { timeoutMs: 10_000, description: 'the group committed everything' },
    );
    expect(lag.map((partition) => partition.end).reduce((sum, end) => sum + Number(end), 0)).toBe(
      200,
    );
  });

  it('when records arrive one at a time, each after the previous was handled, then every one is delivered', async () => {
    const kafka = connect();
    const topic = uniqueName('trickle');
    await kafka.ensureTopics([{ topic, partitions: 1 }]);
    const publisher = kafka.publisher();
    stops.push(() => publisher.stop());
    const handled: string[] = [];
    const consumer = kafka.batchConsumer({
      groupId: uniqueName('group'),
      topics: [topic],
      fromBeginning: true,
      // Short empty fetches, each ending while a batch is still being handled (the work the
      // service does in a transaction, stood in for by a pause): a consumer that stops fetching
      // when a fetch ends between its reads delivers the first record and then nothing.
      maxWaitTimeMs: 20,
      handleBatch: async (batch) => {
        await sleep(150);
        for (const record of batch.records) handled.push(record.value?.toString() ?? '');
        return undefined;
      },
    });
    stops.push(() => consumer.stop());
    await consumer.start();
    for (let i = 0; i < 6; i++) {
      await publisher.publish({ topic, key: 'one-key', value: `record-${i}`, headers: {} });
      await waitFor(() => handled.includes(`record-${i}`), {
        timeoutMs: 10_000,
        description: `record-${i} handled`,
      });
    }
    expect(handled).toEqual(Array.from({ length: 6 }, (_, i) => `record-${i}`));
  });

  it('when a batch fails, then its partition is held and the same records are offered again until they pass, with nothing committed meanwhile', async () => {
    const kafka = connect();
    const topic = uniqueName('held');
    const groupId = uniqueName('group');
    await kafka.ensureTopics([{ topic, partitions: 1 }]);
    await publish(kafka, topic, 10);
    const offered: string[][] = [];
    // What the group had committed at each failing offer: asserted after, not in the handler,
    // whose throw the consumer takes for the batch's failure.
    const committedWhileHeld: (string | null | undefined)[] = [];
    let failures = 3;
    const admin = kafka.groupAdmin();
    stops.push(() => admin.disconnect());
    const consumer = consume(kafka, topic, groupId, async (batch) => {
      offered.push(batch.records.map((record) => record.offset));
      if (failures > 0) {
        failures -= 1;
        const [partition] = await admin.lag(groupId, [topic]);
        committedWhileHeld.push(partition?.committed);
        throw new Error('the view is down');
      }
    });
    await consumer.start();
    await waitFor(async () => (await consumer.lag()).every((partition) => partition.lag === 0), {
      timeoutMs: 20_000,
      description: 'the held batch committed once it passed',
    });
    expect(committedWhileHeld).toEqual([null, null, null]);
    // The first three offers failed and the fourth passed; each began at the same offset.
    expect(offered.length).toBeGreaterThanOrEqual(4);
    expect(new Set(offered.slice(0, 4).map((offsets) => offsets[0]))).toEqual(new Set(['0']));
    expect(offered.flat()).toEqual(
      expect.arrayContaining(Array.from({ length: 10 }, (_, i) => `${i}`)),
    );
  });

  it('when a batch returns records to produce, then they and its offsets are committed in one transaction', async () => {
    const kafka = connect();
    const topic = uniqueName('source');
    const out = uniqueName('side');
    const groupId = uniqueName('group');
    await kafka.ensureTopics([
      { topic, partitions: 2 },
      { topic: out, partitions: 2 },
    ]);
    await publish(kafka, topic, 20);
    const transactions = kafka.transactionalProducer({ idPrefix: uniqueName('txn') });
    await transactions.start();
    stops.push(() => transactions.stop());
    const consumer = kafka.batchConsumer({
      groupId,
      topics: [topic],
      fromBeginning: true,
      transactions,
      handleBatch: async (batch) => ({
        produce: batch.records.map((record) => ({
          topic: out,
          key: record.key,
          value: record.value,
          headers: { from: `${record.partition}/${record.offset}` },
        })),
      }),
    });
    stops.push(() => consumer.stop());
    await consumer.start();
    await waitFor(async () => (await consumer.lag()).every((partition) => partition.lag === 0), {
      timeoutMs: 20_000,
      description: 'the source committed through the transactions',
    });
    const admin = kafka.groupAdmin();
    stops.push(() => admin.disconnect());
    const ends = await admin.endOffsets([out]);
    // Each transaction adds one commit marker per partition it wrote to, so the side topic's end
    // offsets count markers as well as the 20 records.
    expect([...ends.values()].reduce((sum, end) => sum + Number(end), 0)).toBeGreaterThanOrEqual(
      20,
    );
    const copies: string[] = [];
    const reader = consume(kafka, out, uniqueName('reader'), async (batch) => {
      for (const record of batch.records) copies.push(record.headers.from as string);
    });
    await reader.start();
    await waitFor(() => copies.length >= 20, { timeoutMs: 20_000, description: '20 copies read' });
    expect(new Set(copies).size).toBe(20);
    // Past the commit markers too: a reader of a transactional topic that has read everything
    // has no lag, or the lag alarms on such topics would never clear.
    await waitFor(async () => (await reader.lag()).every((partition) => partition.lag === 0), {
      timeoutMs: 10_000,
      description: "the reader's lag to reach 0 past the last commit marker",
    });
  });
});

/** A logger that keeps each member's join lines and any crash, for the members' tests. */
function memberLog() {
  const joins: { member: number; assignment: Record<string, number[]> }[] = [];
  const crashes: string[] = [];
  const logger = {
    ...silent,
    info(fields: Record<string, unknown>, message: string) {
      if (message === 'joined consumer group') joins.push(fields as (typeof joins)[number]);
    },
    error(_fields: Record<string, unknown>, message: string) {
      if (message.startsWith('consumer crashed')) crashes.push(message);
    },
  };
  const lastJoin = (member: number) => joins.filter((join) => join.member === member).at(-1);
  return { logger, crashes, lastJoin };
}

describe('the kafkajs batch consumer with two members', () => {
  const stops = stopsAfterEach();

  it('when it runs two members, then they share the partitions, and each record arrives once, in order per partition', async () => {
    const { logger, lastJoin } = memberLog();
    const kafka = createKafkaConnection({
      brokers: kafkaBrokers,
      clientId: uniqueName('members'),
      logger,
      library: 'kafkajs',
    });
    const topic = uniqueName('members');
    await kafka.ensureTopics([{ topic, partitions: 4 }]);
    const seen = new Map<number, number[]>();
    const consumer = kafka.batchConsumer({
      groupId: uniqueName('group'),
      topics: [topic],
      fromBeginning: true,
      members: 2,
      handleBatch: async (batch) => {
        for (const record of batch.records) {
          seen.set(batch.partition, [...(seen.get(batch.partition) ?? []), Number(record.offset)]);
        }
        return undefined;
      },
    });
    stops.push(() => consumer.stop());
    await consumer.start();
    // Both members in one generation: each partition owned once (a member that has not rejoined
    // yet would still list the partitions it is about to lose).
    await waitFor(() => consumer.isJoined() && consumer.assignment()[topic]?.join() === '0,1,2,3', {
      timeoutMs: 20_000,
      description: 'both members joined and the partitions shared',
    });
    const owned = [0, 1].map((member) => lastJoin(member)?.assignment[topic] ?? []);
    expect(owned.map((partitions) => partitions.length)).toEqual([2, 2]);
    expect([...owned.flat()].sort()).toEqual([0, 1, 2, 3]);

    const publisher = kafka.publisher();
    stops.push(() => publisher.stop());
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        publisher.publish({ topic, key: `key-${i}`, value: `value-${i}`, headers: {} }),
      ),
    );
    await waitFor(() => [...seen.values()].flat().length >= 200, {
      timeoutMs: 20_000,
      description: 'all 200 records handled',
    });
    expect([...seen.values()].flat()).toHaveLength(200);
    for (const offsets of seen.values()) {
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it('when each member owns a different topic, then neither crashes, every record arrives and the group commits all of it', async () => {
    const { logger, crashes, lastJoin } = memberLog();
    const kafka = createKafkaConnection({
      brokers: kafkaBrokers,
      clientId: uniqueName('members'),
      logger,
      library: 'kafkajs',
    });
    const topics = [uniqueName('members-a'), uniqueName('members-b')];
    await kafka.ensureTopics(topics.map((topic) => ({ topic, partitions: 1 })));
    const publisher = kafka.publisher();
    stops.push(() => publisher.stop());
    const publishRound = (round: number) =>
      Promise.all(
        topics.flatMap((topic) =>
          Array.from({ length: 100 }, (_, i) =>
            publisher.publish({ topic, key: `key-${round}-${i}`, value: 'v', headers: {} }),
          ),
        ),
      );
    // Records wait before the start: the first member may read them alone until the second joins.
    await publishRound(0);
    const handled = new Set<string>();
    const consumer = kafka.batchConsumer({
      groupId: uniqueName('group'),
      topics,
      fromBeginning: true,
      members: 2,
      handleBatch: async (batch) => {
        for (const record of batch.records) handled.add(`${batch.topic}/${record.offset}`);
        return undefined;
      },
    });
    stops.push(() => consumer.stop());
    await consumer.start();
    await waitFor(
      () =>
        [0, 1].every((member) => Object.keys(lastJoin(member)?.assignment ?? {}).length === 1) &&
        consumer.assignment()[topics[0] as string]?.length === 1,
      { timeoutMs: 20_000, description: 'each member owning one topic' },
    );
    // After the split each member reads, resolves and commits its own topic.
    await publishRound(1);
    const committed = async () => {
      const lag = await consumer.lag();
      return lag.length === 2 && lag.every((partition) => partition.lag === 0) && lag;
    };
    const lag = await waitFor(committed, {
      timeoutMs: 30_000,
      description: 'the group committed both topics',
    });
    expect(lag.map((partition) => Number(partition.end))).toEqual([200, 200]);
    expect(handled.size).toBe(400);
    expect(crashes).toEqual([]);
  });

  it('when it runs three members, then the second and third get a client of their own', () => {
    // kafkajs keeps one cache of committed offsets per client and group, and each member's join
    // clears from it the topics that member does not own: siblings on one client would clear
    // each other's. Building consumers does no I/O.
    const shared = new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
    let made = 0;
    const newClient = () => {
      made += 1;
      return new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
    };
    createBatchConsumer({
      client: shared,
      newClient,
      logger: silent,
      groupId: uniqueName('group'),
      topics: ['never-read'],
      members: 3,
      handleBatch: async () => undefined,
    });
    expect(made).toBe(2);
    expect(() =>
      createBatchConsumer({
        client: shared,
        logger: silent,
        groupId: uniqueName('group'),
        topics: ['never-read'],
        members: 2,
        handleBatch: async () => undefined,
      }),
    ).toThrow('members above 1 need newClient');
  });

  it('when asked for no members, then it refuses at once', () => {
    expect(() => idleConsumer('kafkajs', 0)).toThrow(
      'members must be a whole number of at least 1, not 0',
    );
    expect(() => idleConsumer('kafkajs', 1.5)).toThrow(
      'members must be a whole number of at least 1, not 1.5',
    );
  });

  it('when @platformatic/kafka is asked for two members, then its start refuses instead of running one', async () => {
    // The platformatic library is loaded on first use, so the consumer is made, and refused, at
    // its start, before any connection.
    const consumer = idleConsumer('platformatic', 2);
    await expect(consumer.start()).rejects.toThrow(
      'members is kafkajs only: @platformatic/kafka runs one, not 2',
    );
    await consumer.stop();
  });
});

/** A batch consumer of a topic nobody writes, for checks made before it would read. */
function idleConsumer(library: KafkaLibrary, members: number) {
  const kafka = createKafkaConnection({
    brokers: kafkaBrokers,
    clientId: uniqueName('members'),
    logger: silent,
    library,
  });
  return kafka.batchConsumer({
    groupId: uniqueName('group'),
    topics: ['never-read'],
    members,
    handleBatch: async () => undefined,
  });
}

// kafkajs hands out a fetch's records per partition, so a batch shows what one fetch brought;
// @platformatic/kafka's adapter takes whatever its stream buffered (several fetches, up to 2,000
// records), so its batches say nothing of the fetch size.
describe('the kafkajs batch consumer behind on a partition', () => {
  const stops = stopsAfterEach();

  it('when a partition holds more than a fetch may bring, then no batch carries more than its share of a fetch, and every record arrives', async () => {
    const kafka = createKafkaConnection({
      brokers: kafkaBrokers,
      clientId: uniqueName('bounded'),
      logger: silent,
      library: 'kafkajs',
    });
    const topic = uniqueName('bounded');
    await kafka.ensureTopics([{ topic, partitions: 1 }]);
    const publisher = kafka.publisher();
    stops.push(() => publisher.stop());
    // 600 KiB in producer batches of ~100 KiB: more than a partition's share of one fetch, less
    // than the 1 MiB kafkajs would fetch by default (one batch of all of it).
    const value = Buffer.alloc(1_024, 'x');
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          publisher.publish({ topic, key: `key-${round}-${i}`, value, headers: {} }),
        ),
      );
    }
    const batchBytes: number[] = [];
    const consumer = consumeFromStart(kafka, stops, topic, uniqueName('group'), (batch) => {
      batchBytes.push(batch.records.reduce((sum, r) => sum + (r.value?.length ?? 0), 0));
    });
    await consumer.start();
    const total = () => batchBytes.reduce((sum, bytes) => sum + bytes, 0);
    await waitFor(() => total() >= 600 * 1_024, {
      timeoutMs: 20_000,
      description: 'all 600 records handled',
    });
    expect(total()).toBe(600 * 1_024);
    expect(Math.max(...batchBytes)).toBeLessThanOrEqual(FETCH_MAX_BYTES_PER_PARTITION);
  });
});

// kafkajs sends no generation with a transaction's offsets, so this fencing is
// @platformatic/kafka's only (docs/retries.md, limits).
describe('the platformatic batch consumer across a rebalance', () => {
  const stops = stopsAfterEach();
  const connect = () =>
    createKafkaConnection({
      brokers: kafkaBrokers,
      clientId: uniqueName('fenced'),
      logger: silent,
      library: 'platformatic',
    });

  it('when the group rebalances while a batch is handled, then that batch cannot commit its transaction and every record is copied once', async () => {
    const kafka = connect();
    const topic = uniqueName('source');
    const out = uniqueName('copies');
    const groupId = uniqueName('group');
    await kafka.ensureTopics([
      { topic, partitions: 2 },
      { topic: out, partitions: 1 },
    ]);
    const publisher = kafka.publisher();
    stops.push(() => publisher.stop());
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        publisher.publish({ topic, key: `key-${i}`, value: `value-${i}`, headers: {} }),
      ),
    );
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = false;
    const failures: { name: string; error: unknown }[] = [];
    const member = (name: string, hold: boolean) => {
      const connection = connect();
      const transactions = connection.transactionalProducer({ idPrefix: uniqueName(name) });
      const consumer = connection.batchConsumer({
        groupId,
        topics: [topic],
        fromBeginning: true,
        transactions,
        initialBackoffMs: 20,
        maxBackoffMs: 100,
        onBatchFailed: (_batch, error) => failures.push({ name, error }),
        handleBatch: async (batch) => {
          // The first batch waits until a second member has joined: it was read in the old
          // generation and answers in the new one.
          if (hold && !held) {
            held = true;
            await released;
          }
          return {
            produce: batch.records.map((record) => ({
              topic: out,
              key: record.key,
              value: record.value,
              headers: { from: `${record.partition}/${record.offset}` },
            })),
          };
        },
      });
      stops.push(
        () => transactions.stop(),
        () => consumer.stop(),
      );
      return { transactions, consumer };
    };
    const first = member('first', true);
    await first.transactions.start();
    await first.consumer.start();
    await waitFor(() => held, { timeoutMs: 10_000, description: 'the first batch held' });
    const second = member('second', false);
    await second.transactions.start();
    await second.consumer.start();
    await waitFor(() => second.consumer.isJoined() && first.consumer.isJoined(), {
      timeoutMs: 20_000,
      description: 'both members in the new generation',
    });
    release();
    const admin = kafka.groupAdmin();
    stops.push(() => admin.disconnect());
    await waitFor(async () => (await admin.lag(groupId, [topic])).every((p) => p.lag === 0), {
      timeoutMs: 20_000,
      description: 'the group committed every source record',
    });
    const copies: string[] = [];
    const reader = consumeFromStart(kafka, stops, out, uniqueName('reader'), (batch) => {
      for (const record of batch.records) copies.push(record.headers.from as string);
    });
    await reader.start();
    await waitFor(
      async () => (await reader.lag()).every((p) => p.lag === 0) && copies.length >= 10,
      {
        timeoutMs: 20_000,
        description: 'the copies read to the end',
      },
    );
    expect(copies.sort()).toEqual([...new Set(copies)].sort());
    expect(copies).toHaveLength(10);
    // The held batch's transaction was refused once, and not tried again with its old generation.
    expect(failures.map(({ name }) => name)).toEqual(['first']);
    expect(String(failures[0]?.error)).toMatch(/generation/i);
  });

  it('when the group rebalances and a member keeps its partitions, then every record it had read before is still handled', async () => {
    const kafka = connect();
    const topic = uniqueName('source');
    const groupId = uniqueName('group');
    await kafka.ensureTopics([{ topic, partitions: 8 }]);
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let heldBatch: RecordBatch | undefined;
    const handled = new Set<string>();
    const member = (hold: boolean) => {
      const consumer = connect().batchConsumer({
        groupId,
        topics: [topic],
        fromBeginning: true,
        // One partition at a time: the rest of the round waits behind the held batch.
        partitionsConsumedConcurrently: 1,
        handleBatch: async (batch) => {
          if (!hold) return undefined;
          for (const { partition, offset } of batch.records) handled.add(`${partition}/${offset}`);
          if (!heldBatch) {
            heldBatch = batch;
            await released;
          }
          return undefined;
        },
      });
      stops.push(() => consumer.stop());
      return consumer;
    };
    const first = member(true);
    const second = member(false);
    // Cleanup runs in reverse: the held handler is let go before the members stop, even when
    // the test failed before releasing it.
    stops.push(async () => release());
    await first.start();
    await second.start();
    const assigned = (consumer: BatchConsumer) => Object.values(consumer.assignment()).flat();
    await waitFor(() => assigned(first).length === 4 && assigned(second).length === 4, {
      timeoutMs: 20_000,
      description: 'the partitions shared by both members',
    });
    const kept = new Set(assigned(first));
    const publisher = kafka.publisher();
    stops.push(() => publisher.stop());
    await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        publisher.publish({ topic, key: `key-${i}`, value: `value-${i}`, headers: {} }),
      ),
    );
    await waitFor(() => heldBatch, { timeoutMs: 10_000, description: 'a batch held' });
    // The second member leaves: the first keeps its partitions and gains the others, so none of
    // what it had read is revoked.
    await second.stop();
    await waitFor(() => assigned(first).length === 8, {
      timeoutMs: 20_000,
      description: 'every partition with the first member',
    });
    release();
    const admin = kafka.groupAdmin();
    stops.push(() => admin.disconnect());
    const lag = await waitFor(
      async () => {
        const partitions = await admin.lag(groupId, [topic]);
        return partitions.every((p) => p.lag === 0) && partitions;
      },
      { timeoutMs: 20_000, description: 'the group committed every record' },
    );
    // Every record of the partitions it kept was handled by the first member, at least once.
    const keptRecords = lag
      .filter(({ partition }) => kept.has(partition))
      .flatMap(({ partition, end }) =>
        Array.from({ length: Number(end) }, (_, offset) => `${partition}/${offset}`),
      );
    expect(keptRecords.filter((key) => !handled.has(key))).toEqual([]);
  });
});
