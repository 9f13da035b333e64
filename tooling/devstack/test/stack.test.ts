import { Topics } from '@kafka-ecs/events';
import {
  connectRawProducer,
  createTestTopics,
  readTopic,
  testInfrastructure,
  uniqueName,
  withKafkaAdmin,
} from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import { stackStatus, stackUp } from '../src/index.ts';

const { kafkaBrokers, redisUrl } = testInfrastructure();

describe('the local stack', () => {
  it('when it is up, then stack up again reuses it and starts nothing', async () => {
    const again = await stackUp({ log: () => {} });
    expect(again.started).toEqual({ kafka: false, redis: false });
    const status = await stackStatus();
    expect(status.kafka.state).not.toBe('stopped');
    expect(status.redis.state).not.toBe('stopped');
  });

  it('then the contract topics exist with 8 partitions', async () => {
    const placement = await withKafkaAdmin({ brokers: kafkaBrokers }, (admin) =>
      admin.placement(Object.values(Topics)),
    );
    expect([...placement].map(([name, partitions]) => [name, partitions.length]).sort()).toEqual(
      Object.values(Topics)
        .map((name) => [name, 8])
        .sort(),
    );
  });

  it('when records are produced to an 8-partition topic, then a consumer group receives all of them from every partition', async () => {
    const topic = uniqueName('smoke');
    await createTestTopics([topic]);
    const producer = await connectRawProducer({ idempotent: true });
    try {
      const records = Array.from({ length: 200 }, (_, i) => ({
        key: `user-${i}`,
        value: `value-${i}`,
      }));
      await producer.send(topic, records);
    } finally {
      await producer.close();
    }
    const received = await readTopic(topic, 200);
    expect(new Set(received.map((record) => String(record.value))).size).toBe(200);
    expect(new Set(received.map((record) => record.partition)).size).toBe(8);
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
