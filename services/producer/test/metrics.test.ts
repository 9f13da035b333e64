import { freePort } from '@kafka-ecs/testing';
import {
  CREATE_USER,
  codeOf,
  LOGIN,
  newUser,
  startTestProducer,
  type TestProducer,
} from './support/harness.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The producer's metrics as its metrics server serves them (Prometheus text), parsed. */
async function samples(producer: TestProducer): Promise<Sample[]> {
  const text = await (
    await fetch(`${producer.metricsUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
  ).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('producer_'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1], label[2]]),
      );
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** The one sample named `name` whose labels include `labels`; 0 when there is none. */
const sumOf = (all: Sample[], name: string, labels: Record<string, string> = {}) =>
  all
    .filter(
      (sample) =>
        sample.name === name &&
        Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);

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
      expect(sumOf(all, 'producer_events_published_total', { topic, outcome: 'ok' })).toBe(1);
      expect(sumOf(all, 'producer_events_published_total', { topic, outcome: 'failed' })).toBe(0);
      expect(sumOf(all, 'producer_publish_duration_seconds_count', { topic, outcome: 'ok' })).toBe(
        1,
      );
    }
    // Every record went out in some send call: the records per call add up to the two events.
    expect(sumOf(all, 'producer_batch_records_sum')).toBe(2);
    const sends = sumOf(all, 'producer_batch_records_count');
    expect(sends).toBeGreaterThanOrEqual(1);
    expect(sumOf(all, 'producer_batch_duration_seconds_count', { outcome: 'ok' })).toBe(sends);
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
    expect(sumOf(all, 'producer_events_published_total', { topic, outcome: 'failed' })).toBe(1);
    expect(sumOf(all, 'producer_events_published_total', { outcome: 'ok' })).toBe(0);
    expect(
      sumOf(all, 'producer_publish_duration_seconds_count', { topic, outcome: 'failed' }),
    ).toBe(1);
  });
});
