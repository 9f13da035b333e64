import { encodeEvent } from '@kafka-ecs/events';
import {
  connectRawProducer,
  type RawProducer,
  scrapeMetrics,
  type TcpProxy,
  waitFor,
} from '@kafka-ecs/testing';
import {
  createIsolation,
  type Isolation,
  startRedisProxy,
  startTestConsumer,
  type TestConsumer,
  userCreated,
  viewedUser,
} from './support/harness.ts';

/**
 * `consumer_lag` as the metrics server reports it, by `topic/partition`, and in the same scrape
 * `consumer_group_lag` (the alarms' figure), by `topic`.
 */
async function lagByPartition(service: TestConsumer): Promise<Map<string, number>> {
  const samples = await scrapeMetrics(service.metricsUrl);
  return new Map([
    ...samples
      .filter((sample) => sample.name === 'consumer_lag')
      .map(
        (sample) => [`${sample.labels.topic}/${sample.labels.partition}`, sample.value] as const,
      ),
    ...samples
      .filter((sample) => sample.name === 'consumer_group_lag')
      .map((sample) => [`${sample.labels.topic}`, sample.value] as const),
  ]);
}

describe('consumer lag', () => {
  let iso: Isolation;
  let proxy: TcpProxy;
  let service: TestConsumer;
  let producer: RawProducer;

  beforeAll(async () => {
    iso = await createIsolation();
    // Redis through a proxy that can keep its answers back: the view's writes then never
    // complete, so the group commits nothing and a known backlog builds up on one partition.
    proxy = await startRedisProxy();
    service = await startTestConsumer(iso, { redisUrl: `redis://${proxy.address}` });
    producer = await connectRawProducer();
  });
  afterAll(async () => {
    proxy?.release();
    await service?.close();
    await producer?.close();
    await proxy?.close();
  });

  it('when one partition has a known backlog, then consumer_lag reports exactly it there and 0 on every other partition, and consumer_group_lag the topic its sum', async () => {
    const topics = [iso.userTopic, iso.tokenTopic];
    const everyPartition = [
      ...topics.flatMap((topic) =>
        Array.from({ length: 8 }, (_, partition) => `${topic}/${partition}`),
      ),
      ...topics,
    ];
    await waitFor(
      async () => {
        const lag = await lagByPartition(service);
        return everyPartition.every((key) => lag.get(key) === 0);
      },
      { timeoutMs: 20_000, description: 'every partition reported, at 0' },
    );

    const user = userCreated();
    const held = proxy.holdAnswersAfter(iso.viewPrefix, 20_000);
    const { partition } = await producer.send(iso.userTopic, [
      { key: user.data.id, value: encodeEvent(user) },
    ]);
    await held;
    // Behind the stuck record, on its partition (same key): a backlog of 1 + 5.
    const behind = Array.from({ length: 5 }, () => userCreated({ id: user.data.id }));
    await producer.send(
      iso.userTopic,
      behind.map((event) => ({ key: user.data.id, value: encodeEvent(event) })),
    );
    const stuck = `${iso.userTopic}/${partition}`;
    const expected = new Map(
      everyPartition.map((key) => [key, key === stuck || key === iso.userTopic ? 6 : 0]),
    );
    await waitFor(
      async () => {
        const lag = await lagByPartition(service);
        return everyPartition.every((key) => lag.get(key) === expected.get(key)) && lag;
      },
      { timeoutMs: 20_000, description: `a lag of 6 on ${stuck} and 0 elsewhere` },
    );

    proxy.release();
    await waitFor(() => viewedUser(service.url, user.data.id), {
      timeoutMs: 20_000,
      description: 'the stuck user applied once Redis answers again',
    });
    await waitFor(
      async () => {
        const lag = await lagByPartition(service);
        return everyPartition.every((key) => lag.get(key) === 0);
      },
      { timeoutMs: 20_000, description: 'the backlog consumed' },
    );
  });
});
