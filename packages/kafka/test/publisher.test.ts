import { createServer } from 'node:net';
import { testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { Kafka, logLevel } from 'kafkajs';
import {
  type BatchReport,
  createKafkaConnection,
  KAFKA_LIBRARIES,
  PublishError,
} from '../src/index.ts';

const { kafkaBrokers } = testInfrastructure();
/** A local port nothing listens on: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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

  it('when no broker answers, then publish fails with PublishError within the bound and readiness is false', async () => {
    const publisher = createKafkaConnection({
      brokers: [`127.0.0.1:${await closedPort()}`],
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
