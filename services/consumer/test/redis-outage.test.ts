import { testInfrastructure, waitFor } from '@kafka-ecs/testing';
import type { Producer } from 'kafkajs';
import {
  connectProducer,
  createTopics,
  isolation,
  newRedis,
  publish,
  rawKafka,
  startTestConsumer,
  tokenIssued,
  userCreated,
} from './support/harness.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

describe('consumer during a Redis outage', () => {
  it('when Redis goes away, then the consumer holds its offsets and catches up by itself once Redis is back', async () => {
    const iso = isolation();
    await createTopics([iso.userTopic, iso.tokenTopic]);
    const redisUrl = new URL(testInfrastructure().redisUrl);
    const proxy = await startTcpProxy({
      host: redisUrl.hostname,
      port: Number(redisUrl.port || 6379),
    });
    const direct = newRedis();
    const admin = rawKafka().admin();
    let producer: Producer | undefined;
    let service: Awaited<ReturnType<typeof startTestConsumer>> | undefined;
    try {
      service = await startTestConsumer(iso, { redisUrl: proxy.url() });
      producer = await connectProducer();
      await admin.connect();
      const user = userCreated();
      await publish(producer, iso, [user]);
      const userKey = `${iso.viewPrefix}:v1:user:${user.data.id}`;
      await waitFor(async () => (await direct.hget(userKey, 'username')) === user.data.username);
      const committed = async () =>
        (
          await admin.fetchOffsets({ groupId: iso.groupId, topics: [iso.tokenTopic] })
        )[0]?.partitions
          .map((p) => Number(p.offset))
          .reduce((sum, offset) => sum + Math.max(0, offset), 0);
      const committedBefore = await committed();

      await proxy.cut();
      const tokens = Array.from({ length: 20 }, () => tokenIssued(user.data.id));
      await publish(producer, iso, tokens);
      await waitFor(
        async () => (await service?.metrics.batchFailures.get())?.values.some((v) => v.value >= 2),
        {
          description: 'the consumer retrying its held batch',
        },
      );
      // Held, not dropped: nothing written, nothing committed.
      expect(await direct.hget(userKey, 'tokensIssued')).toBeNull();
      expect(await committed()).toBe(committedBefore);
      expect((await fetch(`${service.url}/ready`)).status).toBe(503);

      await proxy.restore();
      await waitFor(async () => (await direct.hget(userKey, 'tokensIssued')) === '20', {
        timeoutMs: 20_000,
        description: 'all tokens applied after Redis came back',
      });
      await waitFor(async () => (await committed()) === (committedBefore ?? 0) + 20, {
        description: 'offsets committed after the writes',
      });
    } finally {
      await producer?.disconnect();
      await admin.disconnect();
      await service?.close();
      await proxy.close();
      direct.disconnect();
    }
  }, 60_000);
});
