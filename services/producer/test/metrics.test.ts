import { freePort, metricValue, scrapeMetrics } from '@kafka-ecs/testing';
import {
  CREATE_USER,
  codeOf,
  LOGIN,
  newUser,
  startTestProducer,
  type TestProducer,
} from './support/harness.ts';

const samples = (producer: TestProducer) => scrapeMetrics(producer.metricsUrl);

describe('producer metrics', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('when a user is created and logs in, then each topic counts one event published, timed once, in batches that add up', async () => {
    const producer = await startTestProducer();
    closers.push(() => producer.close());
    const input = newUser();
    expect((await producer.graphql(CREATE_USER, { input })).body.errors).toBeUndefined();
    const login = await producer.graphql(LOGIN, {
      username: input.username,
      password: input.password,
    });
    expect(login.body.errors).toBeUndefined();

    const all = await samples(producer);
    for (const topic of Object.values(producer.topics)) {
      expect(metricValue(all, 'producer_events_published_total', { topic, outcome: 'ok' })).toBe(1);
      expect(
        metricValue(all, 'producer_events_published_total', { topic, outcome: 'failed' }),
      ).toBe(0);
      expect(
        metricValue(all, 'producer_publish_duration_seconds_count', { topic, outcome: 'ok' }),
      ).toBe(1);
    }
    // Every record went out in some send call: the records per call add up to the two events.
    expect(metricValue(all, 'producer_batch_records_sum')).toBe(2);
    const sends = metricValue(all, 'producer_batch_records_count');
    expect(sends).toBeGreaterThanOrEqual(1);
    expect(metricValue(all, 'producer_batch_duration_seconds_count', { outcome: 'ok' })).toBe(
      sends,
    );
  });

  it('when no broker answers, then the event is counted as failed and nothing as published', async () => {
    const producer = await startTestProducer({
      kafkaBrokers: [`127.0.0.1:${await freePort()}`],
      publishTimeoutMs: 1_000,
    });
    closers.push(() => producer.close());
    const { body } = await producer.graphql(CREATE_USER, { input: newUser() });
    expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE');

    const all = await samples(producer);
    const topic = producer.topics['new-user-created'];
    expect(metricValue(all, 'producer_events_published_total', { topic, outcome: 'failed' })).toBe(
      1,
    );
    expect(metricValue(all, 'producer_events_published_total', { outcome: 'ok' })).toBe(0);
    expect(
      metricValue(all, 'producer_publish_duration_seconds_count', { topic, outcome: 'failed' }),
    ).toBe(1);
  });
});
