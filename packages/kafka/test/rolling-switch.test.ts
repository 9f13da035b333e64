import { testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { type BatchConsumer, createKafkaConnection, type KafkaLibrary } from '../src/index.ts';

const { kafkaBrokers } = testInfrastructure();
const silent = { debug() {}, info() {}, warn() {}, error() {} };

// While a deploy changes KAFKA_CLIENT one task at a time, both libraries write the same topics
// and sit in the same consumer group.
describe('a rolling switch between the client libraries', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });
  const connect = (library: KafkaLibrary) =>
    createKafkaConnection({
      brokers: kafkaBrokers,
      clientId: uniqueName(library),
      logger: silent,
      library,
    });

  // The member that joins first leads the group and computes the assignment for both.
  it.each([
    ['kafkajs', 'platformatic'],
    ['platformatic', 'kafkajs'],
  ] as const)(
    'when both libraries publish the same keys and share a group led by %s, then each key keeps one partition and the members split the partitions and handle each record once',
    async (leader, follower) => {
      const kafkajs = connect('kafkajs');
      const platformatic = connect('platformatic');
      const topic = uniqueName('switch');
      const groupId = uniqueName('group');
      await kafkajs.ensureTopics([{ topic, partitions: 4 }]);

      const handled = new Map<string, { partition: number; member: KafkaLibrary }[]>();
      const member = (library: KafkaLibrary, kafka: typeof kafkajs): BatchConsumer => {
        const consumer = kafka.batchConsumer({
          groupId,
          topics: [topic],
          fromBeginning: true,
          handleBatch: async (batch) => {
            for (const record of batch.records) {
              const name = `${record.key?.toString()}/${record.value?.toString()}`;
              handled.set(name, [
                ...(handled.get(name) ?? []),
                { partition: batch.partition, member: library },
              ]);
            }
            return undefined;
          },
        });
        stops.push(() => consumer.stop());
        return consumer;
      };
      const connections = { kafkajs, platformatic };
      const members = [leader, follower].map((library) => member(library, connections[library]));
      for (const consumer of members) await consumer.start();
      await waitFor(
        () =>
          members.every(
            (consumer) => consumer.isJoined() && (consumer.assignment()[topic]?.length ?? 0) === 2,
          ),
        { timeoutMs: 30_000, description: 'both members joined with two partitions each' },
      );
      const owned = members.flatMap((consumer) => consumer.assignment()[topic] ?? []);
      expect(owned.sort()).toEqual([0, 1, 2, 3]);

      const keys = Array.from({ length: 20 }, (_, i) => `user-${i}`);
      for (const [library, kafka] of [
        ['kafkajs', kafkajs],
        ['platformatic', platformatic],
      ] as const) {
        const publisher = kafka.publisher();
        stops.push(() => publisher.stop());
        await Promise.all(
          keys.map((key) => publisher.publish({ topic, key, value: library, headers: {} })),
        );
      }

      await waitFor(async () => (await members[0]?.lag())?.every((p) => p.lag === 0), {
        timeoutMs: 20_000,
        description: 'the group committed all 40 records',
      });
      expect(handled.size).toBe(40);
      for (const key of keys) {
        const byKafkajs = handled.get(`${key}/kafkajs`) ?? [];
        const byPlatformatic = handled.get(`${key}/platformatic`) ?? [];
        expect(byKafkajs).toHaveLength(1);
        expect(byPlatformatic).toHaveLength(1);
        // Both publishers place a key with Java's murmur2, so its events stay in order.
        expect(byPlatformatic[0]?.partition).toBe(byKafkajs[0]?.partition);
      }
      const readers = new Set([...handled.values()].flat().map(({ member }) => member));
      expect(readers).toEqual(new Set(['kafkajs', 'platformatic']));
    },
  );
});
