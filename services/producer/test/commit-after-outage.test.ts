import { endOffsetSum, metricValue, scrapeMetrics, waitFor } from '@kafka-ecs/testing';
import {
  CREATE_USER,
  capturedLogs,
  codeOf,
  LOGIN,
  newUser,
  proxiedRedis,
  startTestProducer,
} from './support/harness.ts';

describe('createUser when Redis goes away between the publish and the commit', () => {
  it("when Redis is back only after the caller's attempts and the reservation's TTL, then createUser fails SERVICE_UNAVAILABLE with the event out, and the user is committed in the background and logs in", async () => {
    const { proxy, url } = await proxiedRedis();
    const logs = capturedLogs();
    let cutAfterPublish = true;
    const producer = await startTestProducer({
      redisUrl: url,
      logger: logs.logger,
      // Shorter than the outage: the name is free again when Redis returns.
      settings: { reservationTtlMs: 1_000 },
      wrapPublisher: (publisher) => ({
        ...publisher,
        async publish(record) {
          await publisher.publish(record);
          if (!cutAfterPublish) return;
          cutAfterPublish = false;
          // Redis goes away once the event is on the broker, for real.
          await proxy.cut();
        },
      }),
    });
    try {
      await producer.untilConnected();
      const topic = producer.topics['new-user-created'];
      const published = await endOffsetSum(topic);
      const input = newUser();
      const pending = async () =>
        metricValue(await scrapeMetrics(producer.metricsUrl), 'producer_user_commits_pending');

      const { body } = await producer.graphql(CREATE_USER, { input });

      expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE');
      expect(await endOffsetSum(topic)).toBe(published + 1);
      expect(await pending()).toBe(1);

      await proxy.restore();
      // Not by logging in until it works: each failed login counts against the user's limit.
      await waitFor(async () => (await pending()) === 0, {
        timeoutMs: 20_000,
        description: 'the commit landing once Redis is back',
      });
      // The connection logins use reconnects on its own schedule.
      await producer.untilConnected();
      const login = await producer.graphql(LOGIN, {
        username: input.username,
        password: input.password,
      });
      expect(login.body.errors).toBeUndefined();
      expect(logs.messages()).toContainEqual(
        expect.objectContaining({ msg: 'user committed', outcome: 'restored', late: true }),
      );
    } finally {
      await producer.close();
      await proxy.close();
    }
  }, 45_000);
});
