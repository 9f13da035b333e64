import type { RecordBatch } from '../batch-consumer.ts';
import { MURMUR2_VECTORS } from '../partitioner-vectors.ts';
import { PublishError } from '../publisher.ts';
import { createInMemoryKafka, InMemoryKafkaError } from './index.ts';

// The double must keep the real contract wherever unit tests rely on it; the real pieces are
// held to the same lines against a broker in ../../test.

const TOPIC = 'events';
const OUT = 'out';
const GROUP = 'group';
const kafkaWithTopics = () =>
  createInMemoryKafka({
    topics: [
      { topic: TOPIC, partitions: 8 },
      { topic: OUT, partitions: 2 },
    ],
  });
const values = (batch: RecordBatch) => batch.records.map((record) => record.value?.toString());

describe('the in-memory Kafka double', () => {
  it("when keyed records are published, then each lands on murmur2's partition with consecutive offsets", async () => {
    const kafka = kafkaWithTopics();
    const publisher = kafka.publisher();
    const expected: { key: string; partition: number; offset: string }[] = [];
    const next = new Map<number, number>();
    for (const [key, hash] of [...MURMUR2_VECTORS, ...MURMUR2_VECTORS]) {
      await publisher.publish({ topic: TOPIC, key, value: `v-${key}` });
      const partition = (hash & 0x7fffffff) % 8;
      const offset = next.get(partition) ?? 0;
      next.set(partition, offset + 1);
      expected.push({ key, partition, offset: String(offset) });
    }
    const landed = kafka.records(TOPIC).map(({ key, partition, offset }) => ({
      key: key?.toString(),
      partition,
      offset,
    }));
    expect(landed).toHaveLength(expected.length);
    expect(landed).toEqual(expect.arrayContaining(expected));
  });

  it('when the next publish is made to fail, then it rejects with a retriable PublishError and writes nothing', async () => {
    const kafka = kafkaWithTopics();
    const publisher = kafka.publisher();
    kafka.failNext('publish');
    const failed = await publisher.publish({ topic: TOPIC, key: 'k', value: 'v' }).catch((e) => e);
    expect(failed).toBeInstanceOf(PublishError);
    expect(failed).toMatchObject({ retriable: true });
    expect(kafka.isKafkaError(failed.cause)).toBe(true);
    expect(failed.cause).toMatchObject({ name: 'InMemoryKafkaError', retriable: true });
    expect(kafka.records(TOPIC)).toEqual([]);
    await publisher.publish({ topic: TOPIC, key: 'k', value: 'v' });
    expect(kafka.records(TOPIC)).toHaveLength(1);
    await expect(publisher.publish({ topic: 'missing', key: 'k', value: 'v' })).rejects.toThrow(
      'topic missing does not exist',
    );
  });

  it('when the handler resolves, then the batch is committed after it, not before', async () => {
    const kafka = kafkaWithTopics();
    const seen: { values: (string | undefined)[]; committedWhileHandling: string | null }[] = [];
    const consumer = kafka.batchConsumer({
      groupId: GROUP,
      topics: [TOPIC],
      fromBeginning: true,
      handleBatch: async (batch) => {
        seen.push({
          values: values(batch),
          committedWhileHandling: kafka.committed(GROUP, TOPIC, batch.partition),
        });
        return undefined;
      },
    });
    const publisher = kafka.publisher();
    await publisher.publish({ topic: TOPIC, key: '21', value: 'a' });
    await publisher.publish({ topic: TOPIC, key: '21', value: 'b' });
    await consumer.start();
    await kafka.drained();
    const partition = (-973932308 & 0x7fffffff) % 8;
    expect(seen).toEqual([{ values: ['a', 'b'], committedWhileHandling: null }]);
    expect(kafka.committed(GROUP, TOPIC, partition)).toBe('2');
    expect((await consumer.lag()).reduce((sum, { lag }) => sum + lag, 0)).toBe(0);
    await consumer.stop();
  });

  it('when the handler rejects, then nothing is committed and the same batch is offered again', async () => {
    const kafka = kafkaWithTopics();
    const delivered: (string | undefined)[][] = [];
    const committedWhileFailing: (string | null)[] = [];
    const failures: number[] = [];
    const consumer = kafka.batchConsumer({
      groupId: GROUP,
      topics: [TOPIC],
      handleBatch: async (batch) => {
        delivered.push(values(batch));
        if (delivered.length === 1) {
          committedWhileFailing.push(kafka.committed(GROUP, TOPIC, batch.partition));
          throw new Error('redis down');
        }
        return undefined;
      },
      onBatchFailed: (_batch, _error, attempt) => failures.push(attempt),
    });
    await consumer.start();
    await kafka.publisher().publish({ topic: TOPIC, key: 'abc', value: 'x' });
    await kafka.drained();
    expect(delivered).toEqual([['x'], ['x']]);
    expect({ failures, committedWhileFailing }).toEqual({
      failures: [1],
      committedWhileFailing: [null],
    });
    expect(kafka.committed(GROUP, TOPIC, (479470107 & 0x7fffffff) % 8)).toBe('1');
    await consumer.stop();
  });

  it('when a batch returns records, then they and its offset are written in one transaction, and an aborted one leaves nothing', async () => {
    const kafka = kafkaWithTopics();
    const transactions = kafka.transactionalProducer({ idPrefix: GROUP });
    const failures: unknown[] = [];
    const consumer = kafka.batchConsumer({
      groupId: GROUP,
      topics: [TOPIC],
      transactions,
      handleBatch: async (batch) => ({
        produce: batch.records.map(({ key, value }) => ({ topic: OUT, key, value, headers: {} })),
      }),
      onBatchFailed: (_batch, error) => failures.push(error),
    });
    await consumer.start();
    kafka.failNext('transaction');
    await kafka.publisher().publish({ topic: TOPIC, key: 'foobar', value: 'y' });
    await kafka.drained();
    expect(failures).toHaveLength(1);
    expect(kafka.isKafkaError(failures[0])).toBe(true);
    // Once, though handled twice: the aborted transaction wrote nothing.
    expect(kafka.records(OUT).map(({ value }) => value?.toString())).toEqual(['y']);
    expect(kafka.committed(GROUP, TOPIC, (-790332482 & 0x7fffffff) % 8)).toBe('1');
    await consumer.stop();
  });

  it('when a plain commit fails, then the batch is redelivered without counting as a failed batch', async () => {
    const kafka = kafkaWithTopics();
    let deliveries = 0;
    const failures: unknown[] = [];
    const consumer = kafka.batchConsumer({
      groupId: GROUP,
      topics: [TOPIC],
      handleBatch: async () => {
        deliveries += 1;
        return undefined;
      },
      onBatchFailed: (_batch, error) => failures.push(error),
    });
    await consumer.start();
    kafka.failNext('commit');
    await kafka.publisher().publish({ topic: TOPIC, key: 'k', value: 'v' });
    await kafka.drained();
    expect({ deliveries, failures }).toEqual({ deliveries: 2, failures: [] });
  });

  it("when a transaction's beforeCommit throws, then it aborts and neither records nor offset move", async () => {
    const kafka = kafkaWithTopics();
    const producer = kafka.transactionalProducer({
      idPrefix: 'p',
      beforeCommit: () => {
        throw new Error('crash before commit');
      },
    });
    const commit = { groupId: GROUP, topic: TOPIC, partition: 0, offset: '5' };
    await expect(
      producer.send([{ topic: OUT, key: null, value: Buffer.from('z'), headers: {} }], commit),
    ).rejects.toThrow('crash before commit');
    expect(kafka.records(OUT)).toEqual([]);
    expect(kafka.committed(GROUP, TOPIC, 0)).toBeNull();
  });

  it('when a consumer stops and a new member starts, then it resumes after the last commit', async () => {
    const kafka = kafkaWithTopics();
    const seen: string[] = [];
    const member = () =>
      kafka.batchConsumer({
        groupId: GROUP,
        topics: [TOPIC],
        handleBatch: async (batch) => {
          seen.push(...batch.records.map(({ value }) => String(value)));
          return undefined;
        },
      });
    const first = member();
    await first.start();
    await expect(member().start()).rejects.toThrow('already has a member');
    const publisher = kafka.publisher();
    await publisher.publish({ topic: TOPIC, key: 'k', value: '1' });
    await kafka.drained();
    await first.stop();
    await publisher.publish({ topic: TOPIC, key: 'k', value: '2' });
    const second = member();
    await second.start();
    await kafka.drained();
    expect(seen).toEqual(['1', '2']);
    await second.stop();
  });

  it('when a batch keeps failing, then drained rejects in time, naming the held partition', async () => {
    const kafka = kafkaWithTopics();
    const consumer = kafka.batchConsumer({
      groupId: GROUP,
      topics: [OUT],
      handleBatch: async () => {
        throw new InMemoryKafkaError('never');
      },
    });
    await consumer.start();
    await kafka
      .transactionalProducer({ idPrefix: 'p' })
      .send([{ topic: OUT, key: Buffer.from('k'), value: null, headers: {} }]);
    await expect(kafka.drained({ timeoutMs: 50 })).rejects.toThrow(/held: out\/\d/);
    await consumer.stop();
  });

  it('when topics are ensured, then only missing ones are created and described with their config', async () => {
    const kafka = kafkaWithTopics();
    expect(
      await kafka.ensureTopics([
        { topic: TOPIC, partitions: 3 },
        { topic: 'new', partitions: 3, config: { 'retention.ms': '-1' } },
      ]),
    ).toEqual(['new']);
    const described = await kafka.ensureAndDescribeTopics(
      [
        { topic: TOPIC, partitions: 3 },
        { topic: 'new', partitions: 1 },
      ],
      ['retention.ms'],
    );
    expect([...described.values()]).toEqual([
      { topic: TOPIC, partitions: 8, config: {} },
      { topic: 'new', partitions: 3, config: { 'retention.ms': '-1' } },
    ]);
    expect([...(await kafka.groupAdmin().endOffsets(['new'])).entries()]).toEqual([
      ['new/0', '0'],
      ['new/1', '0'],
      ['new/2', '0'],
    ]);
  });
});
