import { setTimeout as sleep } from 'node:timers/promises';
import {
  freePort,
  readTopic,
  startTcpProxy,
  testInfrastructure,
  uniqueName,
  waitFor,
  withKafkaAdmin,
} from '@kafka-ecs/testing';
import { Kafka, logLevel } from 'kafkajs';
import {
  type BatchReport,
  createKafkaConnection,
  KAFKA_LIBRARIES,
  PublishError,
} from '../src/index.ts';

const { kafkaBrokers } = testInfrastructure();
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe.each(KAFKA_LIBRARIES)("the connection's publisher on %s", (library) => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });

  it('when 300 records are published concurrently, then they share few sends and are all on the broker', async () => {
    const topic = uniqueName('publisher');
    const kafka = createKafkaConnection({
      brokers: kafkaBrokers,
      clientId: uniqueName('publisher'),
      logger: silent,
      library,
    });
    await kafka.ensureTopics([{ topic, partitions: 8 }]);
    const batches: BatchReport[] = [];
    const publisher = kafka.publisher({ onBatch: (report) => batches.push(report) });
    stops.push(() => publisher.stop());
    await publisher.start();
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        publisher.publish({ topic, key: `k-${i}`, value: JSON.stringify({ i }) }),
      ),
    );
    expect(batches.reduce((sum, batch) => sum + batch.records, 0)).toBe(300);
    expect(batches.length).toBeLessThan(10);
    // One probe is bounded at 900 ms (connect + metadata) so that /ready answers fast; on a
    // loaded machine a first admin connection can take longer than that, so probe until one
    // answers rather than trust a single try.
    expect(
      await waitFor(() => publisher.isReady(), {
        timeoutMs: 10_000,
        description: 'the publisher ready with its broker up',
      }),
    ).toBe(true);

    const admin = new Kafka({ brokers: kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    stops.push(() => admin.disconnect());
    const offsets = await waitFor(async () => {
      const partitions = await admin.fetchTopicOffsets(topic);
      const total = partitions.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      return total === 300 && partitions;
    });
    // 300 distinct keys over 8 partitions: the default partitioner spreads them over all.
    expect(offsets.filter((partition) => Number(partition.high) > 0)).toHaveLength(8);
  });

  it('when the broker answers only after the bound, then the publish that was reported failed is never written', async () => {
    const topic = uniqueName('publisher-late');
    const kafka = createKafkaConnection({
      brokers: kafkaBrokers,
      clientId: uniqueName('publisher'),
      logger: silent,
      library,
    });
    await kafka.ensureTopics([{ topic, partitions: 1 }]);
    const proxy = await startTcpProxy({ target: kafkaBrokers[0] as string });
    stops.push(() => proxy.close());
    const clientId = uniqueName('late');
    // Every answer to this client is kept back: each request times out and is retried.
    const held = proxy.holdAnswersAfter(clientId).catch(() => {});
    const publisher = createKafkaConnection({
      brokers: [proxy.address],
      clientId,
      logger: silent,
      library,
    }).publisher({ sendTimeoutMs: 1_200 });
    stops.push(() => publisher.stop());

    await expect(publisher.publish({ topic, key: 'k', value: 'late' })).rejects.toBeInstanceOf(
      PublishError,
    );
    await held;
    // The broker answers again: a retry of the failed send still pending in the library would
    // now get through, and a new send does.
    proxy.release();
    await publisher.publish({ topic, key: 'k', value: 'after' });
    // An observation window, not a wait for an event: "never written" can only be checked over
    // a span. A retry still pending at the release gets its answer within one pause and one
    // request (250 + 500 ms) after it; the window is well past that.
    await sleep(2_000);
    const records = await readTopic(topic, 1);
    expect(records.map((record) => record.value?.toString())).toEqual(['after']);
    await withKafkaAdmin({ brokers: kafkaBrokers }, async (admin) => {
      expect((await admin.endOffsets(topic)).get(0)).toBe(1n);
    });
  });

  it('when no broker answers, then publish fails with PublishError within the bound and readiness is false', async () => {
    const publisher = createKafkaConnection({
      brokers: [`127.0.0.1:${await freePort()}`],
      clientId: uniqueName('publisher'),
      logger: silent,
      library,
    }).publisher({ sendTimeoutMs: 2_000 });
    stops.push(() => publisher.stop());
    const started = Date.now();
    await expect(
      publisher.publish({ topic: 'nowhere', key: 'k', value: 'v' }),
    ).rejects.toBeInstanceOf(PublishError);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await publisher.isReady()).toBe(false);
  });
});
