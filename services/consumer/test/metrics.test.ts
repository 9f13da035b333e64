import { encodeEvent } from '@kafka-ecs/events';
import {
  connectRawProducer,
  type HttpReceiver,
  metricValue,
  type RawProducer,
  scrapeMetrics,
  startHttpReceiver,
  waitFor,
} from '@kafka-ecs/testing';
import {
  createIsolation,
  FAST_RETRIES,
  failingUntilReplay,
  graphql,
  type Isolation,
  publish,
  startTestConsumer,
  type TestConsumer,
  tokenIssued,
  userCreated,
  viewedUser,
} from './support/harness.ts';

describe('consumer metrics by outcome', () => {
  let iso: Isolation;
  let producer: RawProducer;
  let service: TestConsumer;
  let webhook: HttpReceiver;

  beforeAll(async () => {
    iso = await createIsolation();
    // A webhook that refuses every alert (500): the alert-failure outcome.
    webhook = await startHttpReceiver(500);
    // Doomed users fail every attempt up to the last retry; a replay applies them. One alert
    // attempt per minute: the first dead letter's alert is the only one in this test.
    service = await startTestConsumer(iso, {
      handlers: failingUntilReplay(),
      alerts: { webhookUrl: webhook.url, minIntervalMs: 60_000, timeoutMs: 1_000 },
    });
    producer = await connectRawProducer();
  });
  afterAll(async () => {
    await service?.close();
    await producer?.close();
    await webhook?.close();
  });

  it('when one event goes through each outcome, then each counter holds exactly its count', async () => {
    const value = async (name: string, labels: Record<string, string> = {}) =>
      metricValue(await scrapeMetrics(service.metricsUrl), name, labels);
    const fine = userCreated();
    await publish(producer, iso, [fine]);
    await waitFor(() => viewedUser(service.url, fine.data.id), { description: 'applied' });
    // The same event again (same id): a duplicate, absorbed.
    await producer.send(iso.userTopic, [{ key: fine.data.id, value: encodeEvent(fine) }]);
    await waitFor(async () => (await value('consumer_events_duplicate_total')) === 1, {
      description: 'the duplicate counted',
    });
    await publish(producer, iso, [tokenIssued(fine.data.id)]);
    await waitFor(
      async () => (await value('consumer_events_applied_total', { type: 'issued-token' })) >= 1,
      { description: 'the token applied' },
    );

    const doomed = ['doomed-m1', 'doomed-m2'].map((name) =>
      userCreated({ username: `${name}-${fine.data.id.slice(-6)}` }),
    );
    await publish(producer, iso, doomed);
    const ids = await waitFor(
      async () => {
        const nodes =
          (
            await graphql<{ deadLetters: { nodes: { id: string; key: string }[] } }>(
              service.url,
              '{ deadLetters(first: 10) { nodes { id key } } }',
            )
          ).data?.deadLetters.nodes ?? [];
        return nodes.length === 2 && nodes;
      },
      { timeoutMs: 30_000, description: 'two dead letters' },
    );
    const idOf = (user: (typeof doomed)[number]) =>
      ids.find((node) => node.key === user.data.id)?.id ?? '';
    const replayed = await graphql(
      service.url,
      'mutation($id: ID!) { replayDeadLetter(id: $id) { outcome } }',
      { id: idOf(doomed[0] as (typeof doomed)[number]) },
    );
    expect(replayed.data).toEqual({ replayDeadLetter: { outcome: 'REPLAYED' } });
    const discarded = await graphql(
      service.url,
      'mutation($id: ID!) { discardDeadLetter(id: $id, reason: "metrics test") }',
      { id: idOf(doomed[1] as (typeof doomed)[number]) },
    );
    expect(discarded.data).toEqual({ discardDeadLetter: true });
    await waitFor(async () => (await value('consumer_alerts_total', { outcome: 'failed' })) === 1, {
      description: 'the refused alert counted',
    });

    const retriesEach = FAST_RETRIES.maxAttempts - 1;
    const samples = await scrapeMetrics(service.metricsUrl);
    const at = (name: string, labels: Record<string, string> = {}) =>
      metricValue(samples, name, labels);
    expect({
      appliedUsers: at('consumer_events_applied_total', { type: 'new-user-created' }),
      appliedTokens: at('consumer_events_applied_total', { type: 'issued-token' }),
      duplicates: at('consumer_events_duplicate_total'),
      firstFailures: at('consumer_record_failures_total', {
        topic: iso.userTopic,
        reason: 'InjectedFaultError',
      }),
      retriesScheduled: at('consumer_retries_scheduled_total'),
      retriesFailed: at('consumer_retries_total', { outcome: 'failed' }),
      retriesSucceeded: at('consumer_retries_total', { outcome: 'succeeded' }),
      deadLettered: at('consumer_dead_lettered_total', { reason: 'exhausted' }),
      replayed: at('consumer_dead_letter_replays_total', { outcome: 'replayed' }),
      discarded: at('consumer_dead_letters_discarded_total'),
      alertsFailed: at('consumer_alerts_total', { outcome: 'failed' }),
      alertsSent: at('consumer_alerts_total', { outcome: 'sent' }),
    }).toEqual({
      // The fine user, and the replayed one.
      appliedUsers: 2,
      appliedTokens: 1,
      duplicates: 1,
      firstFailures: 2,
      retriesScheduled: 2 * retriesEach,
      retriesFailed: 2 * retriesEach,
      retriesSucceeded: 0,
      deadLettered: 2,
      replayed: 1,
      discarded: 1,
      alertsFailed: 1,
      alertsSent: 0,
    });
  }, 60_000);
});
