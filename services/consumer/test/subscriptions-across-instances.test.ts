import {
  connectRawProducer,
  metricValue,
  type RawProducer,
  scrapeMetrics,
  waitFor,
} from '@kafka-ecs/testing';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  createIsolation,
  type Isolation,
  OPERATOR_TOKEN,
  publish,
  startTestConsumer,
  type TestConsumer,
  userCreated,
} from './support/harness.ts';

/** Events applied by one instance, from its own metrics registry. */
const appliedBy = async (instance: TestConsumer) =>
  metricValue(await scrapeMetrics(instance.metricsUrl), 'consumer_events_applied_total');

describe('userNotification across instances', () => {
  let iso: Isolation;
  let producer: RawProducer;
  const instances: TestConsumer[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    iso = await createIsolation();
    producer = await connectRawProducer();
    // One group, two instances: the partitions are split between them.
    instances.push(await startTestConsumer(iso), await startTestConsumer(iso));
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    for (const instance of instances.splice(0)) await instance.close();
    await producer?.close();
  });

  it('when changes are applied by either instance, then a subscriber on each receives every change exactly once', async () => {
    const heard = instances.map(() => new Map<string, number>());
    const errors: unknown[] = [];
    instances.forEach((instance, index) => {
      const client = createClient({
        url: `${instance.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe(
        { query: 'subscription { userNotification { id } }' },
        {
          next: (result) => {
            if (result.errors) errors.push(result.errors);
            const id = (result.data?.userNotification as { id: string } | undefined)?.id;
            const counts = heard[index] as Map<string, number>;
            if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
          },
          error: (error) => errors.push(error),
          complete: () => {},
        },
      );
    });
    // Both subscriptions are live once two connections listen on the view's channel.
    const [first] = instances as [TestConsumer];
    await waitFor(
      async () => {
        const [, count] = (await first.redis.pubsub(
          'NUMSUB',
          `${iso.viewPrefix}:user-notifications`,
        )) as [string, number];
        return count >= 2;
      },
      { description: 'both subscriptions listening' },
    );

    // Waves of users over all partitions, until each instance has applied some: then each
    // subscriber has heard changes applied by the instance it is not connected to.
    const published: string[] = [];
    await waitFor(
      async () => {
        const wave = Array.from({ length: 16 }, () => userCreated());
        await publish(producer, iso, wave);
        published.push(...wave.map((event) => event.data.id));
        await waitFor(() => heard.every((counts) => published.every((id) => counts.has(id))), {
          timeoutMs: 20_000,
          description: 'the wave heard by both subscribers',
        });
        const applied = await Promise.all(instances.map(appliedBy));
        return applied.every((count) => count > 0);
      },
      { timeoutMs: 90_000, intervalMs: 0, description: 'changes applied by both instances' },
    );

    const applied = await Promise.all(instances.map(appliedBy));
    expect(applied.reduce((sum, count) => sum + count, 0)).toBe(published.length);
    for (const counts of heard) {
      expect([...counts.keys()].sort()).toEqual([...published].sort());
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
    }
    expect(errors).toEqual([]);
  }, 120_000);
});
