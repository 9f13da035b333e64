import {
  DEFAULT_PARTITIONS,
  type DomainEvent,
  EVENT_TOPICS,
  encodeEvent,
  FailureHeaders as H,
  TOPIC_CONFIG,
  Topics,
  topicOf,
} from '@kafka-ecs/events';
import type { ConsumedRecord, RawRecord } from '@kafka-ecs/kafka';
import { createInMemoryKafka } from '@kafka-ecs/kafka/testing';
import { readChain, startChain, toDeadLetterRecord, toRetryRecord } from '@kafka-ecs/retry';
import { withFaultInjection } from '../src/domain/handlers/fault-injection.ts';
import { type EventHandlers, eventHandlers } from '../src/domain/handlers/index.ts';
import {
  createRoutingFailureHandler,
  type RecordFailure,
} from '../src/entry-points/kafka/record-failure.ts';
import { createViewBatchProcessor } from '../src/entry-points/kafka/view-batch-processor.ts';
import { createRecordRunner } from '../src/entry-points/retry/record-runner.ts';
import { createConsumerMetrics } from '../src/infra/metrics.ts';
import type { WriteTarget } from '../src/infra/redis-view-store.ts';
import { counterTotal, logger, tokenIssued, userCreated } from './support/harness.ts';
import { createInMemoryViewStore } from './support/in-memory-view-store.ts';

// Unit tests of the live path as the batch consumer drives it (commit after the handler, the
// failure seam's records in the commit's transaction), over the in-memory Kafka double and view
// store. The same behaviour against real Kafka and Redis: retries.test.ts, poison.test.ts,
// crash-safety.test.ts, redis-outage.test.ts.

const GROUP = 'consumer-svc';
const TARGET: WriteTarget = { views: ['v1'], notify: true, writer: 'live' };
const FAILED_AT = new Date('2026-11-21T10:00:00.000Z');
let flakyUsers = 0;
const flakyUser = () => userCreated({ username: `flaky-${++flakyUsers}` });

// The retry system's router (createFailureRouter, not exported by @kafka-ecs/retry), from the
// chain functions it is made of, with a fixed clock so the headers can be asserted whole.
const route = (failures: RecordFailure[]): RawRecord[] =>
  failures.map((failure) => {
    const chain = startChain(failure.record, failure, GROUP, FAILED_AT);
    return failure.retriable
      ? toRetryRecord(chain, Topics.retry)
      : toDeadLetterRecord(chain, Topics.deadLetter, 'non-retryable');
  });

const started: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((consumer) => consumer.stop()));
});

/** The main consumer group wired as compose.ts does, over in-memory Kafka and view store. */
function liveConsumer(handlers: EventHandlers = eventHandlers) {
  const kafka = createInMemoryKafka({
    topics: Object.values(Topics).map((topic) => ({
      topic,
      partitions: DEFAULT_PARTITIONS,
      config: TOPIC_CONFIG[topic],
    })),
  });
  const view = createInMemoryViewStore();
  const metrics = createConsumerMetrics({ defaultMetrics: false });
  const committedOf = (record: ConsumedRecord) =>
    kafka.committed(GROUP, record.topic, record.partition);
  // Each failed batch, with its partition's committed offset at that moment.
  const failedBatches: { attempt: number; error: unknown; committed: string | null }[] = [];
  let onFailed = () => {};
  // What a transaction saw just before committing (committed offsets by event id, side-topic
  // records): the source's offset must not have moved yet.
  const atCommit: { committed: Record<string, string | null>; sideRecords: number }[] = [];
  const transactions = kafka.transactionalProducer({
    idPrefix: GROUP,
    beforeCommit: () =>
      atCommit.push({
        committed: Object.fromEntries(
          kafka
            .records(Topics.newUserCreated)
            .map((record) => [record.headers['event-id'], committedOf(record)]),
        ),
        sideRecords: kafka.records(Topics.retry).length,
      }),
  });
  const consumer = kafka.batchConsumer({
    groupId: GROUP,
    topics: [...EVENT_TOPICS],
    fromBeginning: true,
    transactions,
    handleBatch: createViewBatchProcessor({
      handlers,
      store: view.store,
      metrics,
      target: async () => TARGET,
      onRecordFailure: createRoutingFailureHandler({ logger, metrics, route }),
    }),
    onBatchFailed: (batch, error, attempt) => {
      const committed = kafka.committed(GROUP, batch.topic, batch.partition);
      failedBatches.push({ attempt, error, committed });
      onFailed();
    },
  });
  const publisher = kafka.publisher();
  return {
    kafka,
    view,
    metrics,
    failedBatches,
    atCommit,
    committedOf,
    async start() {
      started.push(consumer);
      await consumer.start();
    },
    /** Publishes as the producer does: key = user id, the event's type and id as headers. */
    publish: (event: DomainEvent) =>
      publisher.publish({
        topic: topicOf(event.type),
        key: event.type === 'new-user-created' ? event.data.id : event.data.userId,
        value: encodeEvent(event),
        headers: { 'event-type': event.type, 'event-id': event.id },
      }),
    /** The record of `event` as the broker holds it. */
    recordOf(event: DomainEvent): ConsumedRecord {
      const found = kafka
        .records(topicOf(event.type))
        .find((record) => record.headers['event-id'] === event.id);
      if (!found) throw new Error(`${event.id} was not published`);
      return found;
    },
    nextBatchFailure: () =>
      new Promise<void>((resolve) => {
        onFailed = resolve;
      }),
    count: (counter: 'eventsApplied' | 'eventsDuplicate') => counterTotal(metrics[counter]),
  };
}

const next = (record: ConsumedRecord) => String(Number(record.offset) + 1);
/** The offset after the last record of `record`'s partition. */
const endOf = (live: ReturnType<typeof liveConsumer>, record: ConsumedRecord) =>
  String(live.kafka.records(record.topic).filter((r) => r.partition === record.partition).length);

describe('the live consumer over in-memory Kafka', () => {
  it("when a record's handler fails, then it lands on side-topic-for-retry with the retry headers and its offset is committed only after", async () => {
    const live = liveConsumer(
      withFaultInjection(eventHandlers, { usernamePattern: /^flaky-/, failures: 'always' }),
    );
    const flaky = flakyUser();
    const steady = userCreated();
    await live.publish(flaky);
    await live.publish(steady);
    await live.start();
    await live.kafka.drained();

    const source = live.recordOf(flaky);
    const side = live.kafka.records(Topics.retry);
    expect(side).toHaveLength(1);
    expect(side[0]).toMatchObject({
      key: source.key,
      value: source.value,
      // Same key, same partition count: the retry record sits on the source's partition number.
      partition: source.partition,
    });
    expect(side[0]?.headers).toEqual({
      'event-type': 'new-user-created',
      'event-id': flaky.id,
      [H.originalTopic]: Topics.newUserCreated,
      [H.originalPartition]: String(source.partition),
      [H.originalOffset]: source.offset,
      [H.attempt]: '1',
      [H.errorName]: 'InjectedFaultError',
      [H.errorMessage]: `injected failure for ${flaky.data.username} (attempt 1, FAULT_INJECT_FAILURES=always)`,
      [H.firstFailureAt]: FAILED_AT.toISOString(),
      [H.lastFailureAt]: FAILED_AT.toISOString(),
      [H.consumerGroup]: GROUP,
      [H.retriable]: 'true',
    });
    expect(live.kafka.records(Topics.deadLetter)).toEqual([]);
    // When the side record was about to commit, its source's offset had not moved; now both have.
    expect(live.atCommit).toEqual([
      { committed: expect.objectContaining({ [flaky.id]: null }), sideRecords: 0 },
    ]);
    // Committed to the end of each partition (the two users' random ids may share one).
    expect(live.committedOf(source)).toBe(endOf(live, source));
    expect(live.committedOf(live.recordOf(steady))).toBe(endOf(live, live.recordOf(steady)));
    expect(live.view.applied('v1').map((change) => change.eventId)).toEqual([steady.id]);
  });

  it('when the side write fails, then the offset stays and the batch is offered again until record and offset are written together', async () => {
    const live = liveConsumer(
      withFaultInjection(eventHandlers, { usernamePattern: /^flaky-/, failures: 'always' }),
    );
    const flaky = flakyUser();
    await live.publish(flaky);
    live.kafka.failNext('transaction');
    await live.start();
    await live.kafka.drained();

    expect(live.failedBatches).toEqual([{ attempt: 1, error: expect.anything(), committed: null }]);
    expect(live.kafka.isKafkaError(live.failedBatches[0]?.error)).toBe(true);
    // Handled twice, written once: the aborted transaction left nothing behind.
    expect(
      live.kafka.records(Topics.retry).map((record) => record.headers[H.originalOffset]),
    ).toEqual([live.recordOf(flaky).offset]);
    expect(live.committedOf(live.recordOf(flaky))).toBe(next(live.recordOf(flaky)));
  });

  it('when a batch is redelivered, then the view changes once', async () => {
    const live = liveConsumer();
    const user = userCreated();
    const token = tokenIssued(user.data.id);
    await live.publish(user);
    await live.publish(token);
    // Both batches' commits fail once: each is handled a second time.
    live.kafka.failNext('commit');
    live.kafka.failNext('commit');
    await live.start();
    await live.kafka.drained();

    expect(live.view.applied('v1').map((change) => change.eventId)).toEqual([user.id, token.id]);
    expect({
      applied: await live.count('eventsApplied'),
      duplicate: await live.count('eventsDuplicate'),
    }).toEqual({ applied: 2, duplicate: 2 });
    expect(live.committedOf(live.recordOf(user))).toBe('1');
    expect(live.committedOf(live.recordOf(token))).toBe('1');
    expect(live.failedBatches).toEqual([]);
  });

  it('when Redis cannot be reached, then the partition is held uncommitted with nothing routed, and resumes once Redis is back', async () => {
    const live = liveConsumer();
    const user = userCreated();
    live.view.failWith('round-trip', new Error('Connection is closed.'));
    await live.publish(user);
    const failed = live.nextBatchFailure();
    await live.start();
    await failed;

    expect(live.committedOf(live.recordOf(user))).toBeNull();
    expect(live.kafka.records(Topics.retry)).toEqual([]);
    expect(live.failedBatches[0]).toEqual({
      attempt: 1,
      error: new Error('Connection is closed.'),
      committed: null,
    });

    live.view.recover();
    await live.kafka.drained();
    expect(live.view.applied('v1').map((change) => change.eventId)).toEqual([user.id]);
    expect(live.committedOf(live.recordOf(user))).toBe(next(live.recordOf(user)));
    expect(live.kafka.records(Topics.retry)).toEqual([]);
  });

  it('when a record can never apply, then it goes to dead-letter-queue at once as non-retryable and its offset is committed', async () => {
    const live = liveConsumer();
    await live.kafka.publisher().publish({ topic: Topics.newUserCreated, key: 'k', value: '{no' });
    await live.start();
    await live.kafka.drained();

    const [source] = live.kafka.records(Topics.newUserCreated);
    const dead = live.kafka.records(Topics.deadLetter);
    expect(dead.map(({ value, headers }) => ({ value: value?.toString(), headers }))).toEqual([
      {
        value: '{no',
        headers: expect.objectContaining({
          [H.originalOffset]: source?.offset,
          [H.attempt]: '1',
          [H.errorName]: 'EventDecodeError',
          [H.deadLetterReason]: 'non-retryable',
          [H.consumerGroup]: GROUP,
        }),
      },
    ]);
    expect(live.kafka.records(Topics.retry)).toEqual([]);
    expect(live.committedOf(source as ConsumedRecord)).toBe('1');
  });
});

describe('the retry path over in-memory Kafka (record runner on side-topic records)', () => {
  /**
   * A flaky user's event, failed by the live consumer onto the side topic; `retry` runs it again
   * from that side-topic record, the way a retry job does.
   */
  async function routedToSideTopic(failures: number | 'always') {
    const handlers = withFaultInjection(eventHandlers, { usernamePattern: /^flaky-/, failures });
    const live = liveConsumer(handlers);
    const flaky = flakyUser();
    await live.publish(flaky);
    await live.start();
    await live.kafka.drained();
    const [side] = live.kafka.records(Topics.retry);
    if (!side) throw new Error('nothing reached the side topic');
    const run = createRecordRunner({
      handlers,
      store: live.view.store,
      metrics: live.metrics,
      target: async () => TARGET,
    });
    // What a retry job does with it: the original record, as the attempt after the chain's.
    const chain = readChain(side);
    const retry = () =>
      run(
        { topic: chain.origin.topic, key: chain.key, value: chain.value, headers: chain.headers },
        chain.attempt + 1,
      );
    return { live, flaky, retry };
  }

  it('when the handler succeeds on its retry, then the event applies once, however often the retry runs', async () => {
    const { live, flaky, retry } = await routedToSideTopic(1);
    expect(live.view.applied('v1')).toEqual([]);

    expect(await retry()).toEqual({ ok: true });
    // A job run twice (a crash after the write): the view does not change again.
    expect(await retry()).toEqual({ ok: true });
    expect(live.view.applied('v1').map((change) => change.eventId)).toEqual([flaky.id]);
    expect(await live.count('eventsDuplicate')).toBe(1);
  });

  it('when the handler fails again, then the run returns a retriable failure of attempt 2', async () => {
    const { live, flaky, retry } = await routedToSideTopic('always');

    const outcome = await retry();
    expect(outcome).toMatchObject({
      ok: false,
      failure: {
        retriable: true,
        reason: 'InjectedFaultError',
        error: new Error(
          `injected failure for ${flaky.data.username} (attempt 2, FAULT_INJECT_FAILURES=always)`,
        ),
      },
    });
    expect(live.view.applied('v1')).toEqual([]);
  });
});
