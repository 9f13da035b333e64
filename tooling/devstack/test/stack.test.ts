import { Topics } from '@kafka-ecs/events';
import { testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { stackStatus, stackUp } from '../src/index.ts';

const { kafkaBrokers, redisUrl } = testInfrastructure();
const kafka = new Kafka({
  brokers: kafkaBrokers,
  clientId: 'stack-test',
  logLevel: logLevel.NOTHING,
});

describe('the local stack', () => {
  it('when it is up, then stack up again reuses it and starts nothing', async () => {
    const again = await stackUp({ log: () => {} });
    expect(again.started).toEqual({ kafka: false, redis: false });
    const status = await stackStatus();
    expect(status.kafka.state).not.toBe('stopped');
    expect(status.redis.state).not.toBe('stopped');
  });

  it('then the contract topics exist with 8 partitions', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: Object.values(Topics) });
      expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual(
        Object.values(Topics)
          .map((name) => [name, 8])
          .sort(),
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('when records are produced to an 8-partition topic, then a consumer group receives all of them from every partition', async () => {
    const topic = uniqueName('smoke');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 8 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
    const received = new Map<string, number>();
    try {
      await producer.connect();
      const messages = Array.from({ length: 200 }, (_, i) => ({
        key: `user-${i}`,
        value: `value-${i}`,
      }));
      await producer.send({ topic, acks: -1, messages });

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.set(String(message.value), partition);
        },
      });
      await waitFor(() => received.size === 200, {
        timeoutMs: 20_000,
        description: '200 records consumed',
      });
      expect(new Set(received.values()).size).toBe(8);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });

  it('when a value is written to Redis, then it reads back, and the eviction policy is noeviction', async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const key = uniqueName('smoke-key');
    try {
      await redis.set(key, 'hello', 'PX', 10_000);
      expect(await redis.get(key)).toBe('hello');
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });
});
