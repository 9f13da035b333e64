import { encodeEvent, FailureHeaders as H } from '@kafka-ecs/events';
import { connectRawProducer, followTopic, type RawProducer, waitFor } from '@kafka-ecs/testing';
import {
  ADMIN_TOKEN,
  createIsolation,
  failingHandlers,
  failingUntilReplay,
  graphql,
  type Isolation,
  startTestConsumer,
  type TestConsumer,
  userCreated,
  viewedUser,
} from './support/harness.ts';

describe('retries and dead letters', () => {
  let iso: Isolation;
  let producer: RawProducer;
  /** The consumer the running test started, with the handlers and policy it is about. */
  let service: TestConsumer;
  /** What the running test started: stopped after it. */
  const stops: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    iso = await createIsolation();
    producer = await connectRawProducer();
  });

  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await producer.close();
  });

  async function startConsumer(options?: Parameters<typeof startTestConsumer>[1]) {
    const started = await startTestConsumer(iso, options);
    stops.push(() => started.close());
    service = started;
  }

  /** Publishes one new-user-created event; returns where it landed. */
  async function publishUser(username: string, value?: Buffer | string) {
    const event = userCreated({ username });
    const landed = await producer.send(iso.userTopic, [
      {
        key: event.data.id,
        value: value ?? encodeEvent(event),
        // As the producer sends them: the failure path must carry them along.
        headers: { 'event-type': event.type, 'event-id': event.id },
      },
    ]);
    return { event, ...landed };
  }

  const userById = (id: string) => viewedUser(service.url, id);

  it('when a handler always fails, then the record is dead-lettered after exactly RETRY_MAX_ATTEMPTS attempts, each on schedule, with the contract headers', async () => {
    const policy = { maxAttempts: 4, backoffMs: 300, factor: 2, maxBackoffMs: 5_000 };
    await startConsumer({ handlers: failingHandlers('always'), retryPolicy: policy });
    const [retries, deadLetters] = await Promise.all([
      followTopic(iso.retryTopic),
      followTopic(iso.deadLetterTopic),
    ]);
    stops.push(retries.stop, deadLetters.stop);
    const original = await publishUser('doomed-ada');

    await waitFor(() => deadLetters.records.length >= 1, {
      timeoutMs: 30_000,
      description: 'the dead letter',
    });
    // Every failure goes through the side topic (the last one too: its consumer decides on the
    // dead letter); the dead letter carries the 4th. The retry-topic follower reads on its own,
    // so it may not have fetched the 4th yet when the dead-letter follower has its record.
    await waitFor(() => retries.records.length >= 4, {
      timeoutMs: 10_000,
      description: 'the four retry records',
    });
    expect(retries.records.map((record) => record.headers[H.attempt])).toEqual([
      '1',
      '2',
      '3',
      '4',
    ]);
    const [dead] = deadLetters.records;
    expect(dead?.key).toBe(original.event.data.id);
    expect(dead?.value?.equals(encodeEvent(original.event))).toBe(true);
    expect(dead?.headers).toMatchObject({
      [H.originalTopic]: iso.userTopic,
      [H.originalPartition]: String(original.partition),
      [H.originalOffset]: original.offset,
      [H.attempt]: '4',
      [H.errorName]: 'InjectedFaultError',
      [H.deadLetterReason]: 'exhausted',
      [H.consumerGroup]: iso.groupId,
      'event-type': 'new-user-created',
    });
    expect(dead?.headers[H.errorMessage]).toMatch(/injected failure for doomed-ada \(attempt 4/);

    // Attempt n+1 failed no earlier than the delay after attempt n (and not far later).
    const failedAt = retries.records.map((record) =>
      Date.parse(record.headers[H.lastFailureAt] as string),
    );
    const gaps = failedAt.slice(1).map((at, index) => at - (failedAt[index] as number));
    [300, 600, 1_200].forEach((delay, index) => {
      expect(gaps[index]).toBeGreaterThanOrEqual(delay);
      expect(gaps[index]).toBeLessThan(delay + 3_000);
    });
    expect(dead?.headers[H.firstFailureAt]).toBe(retries.records[0]?.headers[H.lastFailureAt]);

    // The operators' index has it, once, and the counts agree.
    const id = `${iso.userTopic}:${original.partition}:${original.offset}`;
    await waitFor(async () => (await listDeadLetters()).totalCount === 1);
    const listed = await listDeadLetters();
    expect(listed.nodes[0]).toMatchObject({
      id,
      topic: iso.userTopic,
      attempts: 4,
      reason: 'exhausted',
      errorName: 'InjectedFaultError',
      key: original.event.data.id,
    });
    expect(JSON.parse(listed.nodes[0]?.payload as string)).toMatchObject({
      id: original.event.id,
      type: 'new-user-created',
    });
    await expectRetryStats({ scheduled: 3, retried: 3, succeeded: 0, deadLettered: 1, pending: 0 });
    expect(deadLetters.records).toHaveLength(1);
  });

  it('when a handler fails fewer times than the limit, then the event ends in the view and never in the dead-letter queue', async () => {
    await startConsumer({ handlers: failingHandlers(2) });
    const deadLetters = await followTopic(iso.deadLetterTopic);
    stops.push(deadLetters.stop);
    const { event } = await publishUser('doomed-bob');
    await waitFor(() => userById(event.data.id), { description: 'the user after two retries' });
    await expectRetryStats({ scheduled: 2, retried: 2, succeeded: 1, deadLettered: 0, pending: 0 });
    expect(deadLetters.records).toHaveLength(0);
  });

  it('when a record is malformed JSON, then it is dead-lettered at once as non-retryable and never retried', async () => {
    await startConsumer();
    const [retries, deadLetters] = await Promise.all([
      followTopic(iso.retryTopic),
      followTopic(iso.deadLetterTopic),
    ]);
    stops.push(retries.stop, deadLetters.stop);
    const bad = await publishUser('malformed', '{"id": "not closed');
    const good = await publishUser('after-the-bad-one');
    await waitFor(
      async () => deadLetters.records.length === 1 && (await userById(good.event.data.id)),
    );
    expect(deadLetters.records[0]?.value?.toString()).toBe('{"id": "not closed');
    expect(deadLetters.records[0]?.headers).toMatchObject({
      [H.originalOffset]: bad.offset,
      [H.attempt]: '1',
      [H.deadLetterReason]: 'non-retryable',
      [H.errorName]: 'EventDecodeError',
    });
    expect(retries.records).toHaveLength(0);
  });

  it('when a record waits for its retry, then the records behind it on the same partition are applied meanwhile', async () => {
    const slow = { maxAttempts: 3, backoffMs: 60_000, factor: 1, maxBackoffMs: 60_000 };
    await startConsumer({ handlers: failingHandlers('always'), retryPolicy: slow });
    const doomed = await publishUser('doomed-cy');
    // Same key, so the same partition, right behind the failing record.
    const behind = Array.from({ length: 20 }, () => userCreated({ id: doomed.event.data.id }));
    await producer.send(
      iso.userTopic,
      behind.map((event, index) => ({
        key: doomed.event.data.id,
        value: encodeEvent({ ...event, data: { ...event.data, username: `steady-${index}` } }),
      })),
    );
    await waitFor(async () => (await userById(doomed.event.data.id))?.username === 'steady-19', {
      description: 'the last record behind the failing one',
    });
    // Its retry is due in a minute: scheduled (the side topic is read on its own) and waiting.
    const stats = async () =>
      (
        await graphql<{ retryStats: { pending: number; scheduled: number; retried: number } }>(
          service.url,
          '{ retryStats { pending scheduled retried } }',
        )
      ).data?.retryStats;
    await waitFor(async () => equal(await stats(), { pending: 1, scheduled: 1, retried: 0 }), {
      description: 'the retry scheduled and waiting',
    });
  });

  it('when an operator replays a dead letter, then a wrong or missing token is refused, and with the token it applies and leaves the list', async () => {
    // Dead-lettered after attempt 4; the replay is attempt 5.
    await startConsumer({ handlers: failingUntilReplay() });
    const { event, partition, offset } = await publishUser('doomed-dee');
    const id = `${iso.userTopic}:${partition}:${offset}`;
    await waitFor(async () => (await listDeadLetters()).totalCount === 1, { timeoutMs: 20_000 });

    const replay = (token?: string) =>
      graphqlAs(token, 'mutation($id: ID!) { replayDeadLetter(id: $id) { id outcome } }', { id });
    for (const token of [undefined, 'wrong-token-0123456789']) {
      const refused = await replay(token);
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(await userById(event.data.id)).toBeNull();
    expect((await replay(ADMIN_TOKEN)).data).toEqual({
      replayDeadLetter: { id, outcome: 'REPLAYED' },
    });
    expect(await userById(event.data.id)).toMatchObject({ username: 'doomed-dee' });
    expect((await listDeadLetters()).totalCount).toBe(0);
    expect((await replay(ADMIN_TOKEN)).data).toEqual({
      replayDeadLetter: { id, outcome: 'ALREADY_REPLAYED' },
    });
    const missing = await graphqlAs(
      ADMIN_TOKEN,
      'mutation { replayDeadLetter(id: "no-such-topic:0:0") { outcome } }',
    );
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('when a replayed dead letter fails again, then it stays listed with its history', async () => {
    await startConsumer({ handlers: failingHandlers('always') });
    const { partition, offset } = await publishUser('doomed-eve');
    const id = `${iso.userTopic}:${partition}:${offset}`;
    await waitFor(async () => (await listDeadLetters()).totalCount === 1, { timeoutMs: 20_000 });
    const result = await graphqlAs(
      ADMIN_TOKEN,
      'mutation($id: ID!) { replayDeadLetter(id: $id) { outcome errorName deadLetter { attempts history { action attempt } } } }',
      { id },
    );
    expect(result.data).toEqual({
      replayDeadLetter: {
        outcome: 'FAILED',
        errorName: 'InjectedFaultError',
        deadLetter: {
          attempts: 5,
          history: [
            { action: 'dead-lettered', attempt: 4 },
            { action: 'replay-failed', attempt: 5 },
          ],
        },
      },
    });
    expect((await listDeadLetters()).totalCount).toBe(1);
  });

  async function retryStats() {
    const result = await graphql<{ retryStats: Record<string, number> }>(
      service.url,
      '{ retryStats { scheduled retried succeeded deadLettered pending } }',
    );
    return result.data?.retryStats;
  }

  /** Counters are written after the states a test waits for: polls for them, bounded. */
  async function expectRetryStats(expected: Record<string, number>) {
    await waitFor(async () => equal(await retryStats(), expected), {
      description: 'retryStats to settle',
    });
    expect(await retryStats()).toEqual(expected);
  }

  async function listDeadLetters() {
    const result = await graphql<{
      deadLetters: { totalCount: number; nodes: Record<string, unknown>[] };
    }>(
      service.url,
      `query($topic: String) { deadLetters(topic: $topic) { totalCount nodes {
        id topic partition offset key attempts reason errorName errorMessage failedAt payload } } }`,
      { topic: iso.userTopic },
    );
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data.deadLetters;
  }

  const graphqlAs = (token: string | undefined, query: string, variables = {}) =>
    graphql(service.url, query, variables, { token: token ?? null });
});

// Not node:util's isDeepStrictEqual: under jest, response.json()'s objects and these literals
// come from different realms, so its prototype check never matches.
const equal = (actual: unknown, expected: unknown) =>
  JSON.stringify(actual) === JSON.stringify(expected);
