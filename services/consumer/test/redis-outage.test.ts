import {
  committedOffsetSum,
  connectRawProducer,
  type RawProducer,
  waitFor,
} from '@kafka-ecs/testing';
import { viewKeys } from '../src/infra/view-keys.ts';
import {
  createIsolation,
  newRedis,
  publish,
  startRedisProxy,
  startTestConsumer,
  type TestConsumer,
  tokenIssued,
  userCreated,
} from './support/harness.ts';

describe('consumer during a Redis outage', () => {
  it('when Redis goes away, then the consumer holds its offsets and catches up by itself once Redis is back', async () => {
    const iso = await createIsolation();
    const proxy = await startRedisProxy();
    const direct = newRedis();
    let producer: RawProducer | undefined;
    let service: TestConsumer | undefined;
    try {
      service = await startTestConsumer(iso, { redisUrl: `redis://${proxy.address}` });
      producer = await connectRawProducer();
      const user = userCreated();
      await publish(producer, iso, [user]);
      const userKey = viewKeys(iso.viewPrefix).user('v1', user.data.id);
      await waitFor(async () => (await direct.hget(userKey, 'username')) === user.data.username);
      const committed = () => committedOffsetSum(iso.groupId, iso.tokenTopic);
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
      await waitFor(async () => (await committed()) === committedBefore + 20, {
        description: 'offsets committed after the writes',
      });
    } finally {
      await producer?.close();
      await service?.close();
      await proxy.close();
      direct.disconnect();
    }
  }, 60_000);
});
