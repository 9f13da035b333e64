import { testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaConnection, KAFKA_LIBRARIES } from '../src/index.ts';

const { kafkaBrokers } = testInfrastructure();
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const kafka = new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING });

async function readAll(topic: string, expected: number, readUncommitted: boolean) {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString() ?? 'null');
    },
  });
  try {
    await waitFor(() => values.length >= expected, { timeoutMs: 15_000 });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe.each(KAFKA_LIBRARIES)("the connection's transactional producer on %s", (library) => {
  const connection = createKafkaConnection({
    brokers: kafkaBrokers,
    clientId: 'txn-test',
    logger: silent,
    library,
  });

  it('when records are sent with an offset, then both become visible together and concurrent sends share transactions', async () => {
    const topic = uniqueName('txn-out');
    const input = uniqueName('txn-in');
    const groupId = uniqueName('txn-group');
    await connection.ensureTopics([
      { topic, partitions: 2 },
      { topic: input, partitions: 2 },
    ]);
    const producer = connection.transactionalProducer({ idPrefix: uniqueName('txn') });
    try {
      await producer.start();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          producer.send(
            [{ topic, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: {} }],
            { groupId, topic: input, partition: i % 2, offset: String(100 + i) },
          ),
        ),
      );
    } finally {
      await producer.stop();
    }
    const values = await readAll(topic, 20, false);
    expect(values.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());

    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [input] });
      // The highest offset per partition wins when two commits share a transaction.
      expect(
        offsets?.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset),
      ).toEqual(['118', '119']);
    } finally {
      await admin.disconnect();
    }
  });

  it('when a send fails inside the transaction, then the caller is rejected and nothing of it is visible', async () => {
    const topic = uniqueName('txn-out');
    const small = uniqueName('txn-small');
    await connection.ensureTopics([
      { topic, partitions: 1 },
      { topic: small, partitions: 1, config: { 'max.message.bytes': '1000' } },
    ]);
    const producer = connection.transactionalProducer({ idPrefix: uniqueName('txn') });
    try {
      await producer.start();
      const record = (value: string | Buffer, to = topic) => ({
        topic: to,
        key: null,
        value: Buffer.from(value),
        headers: {},
      });
      // One record is too large for its topic: the whole transaction aborts.
      await expect(
        producer.send([record('aborted'), record(Buffer.alloc(4_000), small)]),
      ).rejects.toThrow();
      // Queued while a transaction runs, a failing caller and a good one share the next one; the
      // good one still gets through (on its own).
      const first = producer.send([record('first')]);
      const [bad, good] = await Promise.allSettled([
        producer.send([record(Buffer.alloc(4_000), small)]),
        producer.send([record('committed')]),
      ]);
      await first;
      expect(bad.status).toBe('rejected');
      expect(good.status).toBe('fulfilled');
    } finally {
      await producer.stop();
    }
    expect((await readAll(topic, 2, false)).sort()).toEqual(['committed', 'first']);
  });
});
