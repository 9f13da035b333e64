import { encodeEvent, FailureHeaders as H } from '@kafka-ecs/events';
import {
  connectRawProducer,
  createKafkaAdmin,
  followTopics,
  offsetSum,
  type PartitionOffsets,
  type RawProducer,
  type ReadRecord,
  readTopic,
  type TopicFollower,
  testInfrastructure,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';
import {
  createIsolation,
  failingUntilReplay,
  graphql,
  type Isolation,
  startTestConsumer,
  type TestConsumer,
  userCreated,
  viewedUser,
} from './support/harness.ts';

const FAILURE_HEADERS = new Set<string>(Object.values(H));
const sumOf = (offsets: PartitionOffsets) => Number(offsetSum(offsets));

const tooling = () => {
  const { kafkaBrokers, kafkaSecurity } = testInfrastructure();
  return { brokers: kafkaBrokers, ...kafkaSecurity, clientId: uniqueName('other-group') };
};

describe('another consumer group on the event topics', () => {
  let iso: Isolation;
  let producer: RawProducer;
  let service: TestConsumer;
  let other: TopicFollower;
  const seen: ReadRecord[] = [];
  const admin = createKafkaAdmin(tooling());

  beforeAll(async () => {
    iso = await createIsolation();
    producer = await connectRawProducer();
    // Doomed users fail every attempt up to the limit (three retries), then are dead-lettered;
    // a replay applies them.
    service = await startTestConsumer(iso, { handlers: failingUntilReplay() });
    other = await followTopics(tooling(), [iso.userTopic, iso.tokenTopic], (record) =>
      seen.push(record),
    );
  });
  afterAll(async () => {
    await other?.stop();
    await service?.close();
    await producer?.close();
    await admin.close();
  });

  it('when events fail, retry, dead-letter and are replayed in one group, then another group reads each original event once and nothing else', async () => {
    const users = ['doomed-1', 'doomed-2', 'fine-1', 'fine-2', 'fine-3'].map((name) =>
      userCreated({ username: `${name}-${uniqueName('u').slice(-6)}` }),
    );
    for (const user of users) {
      await producer.send(iso.userTopic, [
        {
          key: user.data.id,
          value: encodeEvent(user),
          headers: { 'event-type': user.type, 'event-id': user.id },
        },
      ]);
    }
    const deadLetters = async () =>
      (
        await graphql<{ deadLetters: { totalCount: number; nodes: { id: string }[] } }>(
          service.url,
          '{ deadLetters { totalCount nodes { id } } }',
        )
      ).data?.deadLetters;
    await waitFor(async () => (await deadLetters())?.totalCount === 2, {
      timeoutMs: 30_000,
      description: 'both doomed users dead-lettered after their retries',
    });
    for (const { id } of (await deadLetters())?.nodes ?? []) {
      const replayed = await graphql(
        service.url,
        'mutation($id: ID!) { replayDeadLetter(id: $id) { outcome } }',
        { id },
      );
      expect(replayed.data).toEqual({ replayDeadLetter: { outcome: 'REPLAYED' } });
    }
    await waitFor(
      async () =>
        (await Promise.all(users.map((user) => viewedUser(service.url, user.data.id)))).every(
          Boolean,
        ),
      { description: 'every user in the first group view' },
    );

    // The failure path wrote to its own topics, never back to the event topics.
    // (Read as records: both are written in transactions, whose markers take offsets too.)
    const retries = await readTopic(iso.retryTopic, 2 * 3);
    expect(new Set(retries.map((record) => record.key))).toEqual(
      new Set(users.slice(0, 2).map((user) => user.data.id)),
    );
    expect((await readTopic(iso.deadLetterTopic, 2)).map((record) => record.key).sort()).toEqual(
      users
        .slice(0, 2)
        .map((user) => user.data.id)
        .sort(),
    );
    const ends = new Map<string, PartitionOffsets>([
      [iso.userTopic, await admin.endOffsets(iso.userTopic)],
      [iso.tokenTopic, await admin.endOffsets(iso.tokenTopic)],
    ]);
    expect(sumOf(ends.get(iso.userTopic) as PartitionOffsets)).toBe(users.length);

    await waitFor(() => [...ends].every(([topic, end]) => other.caughtUp(topic, end)), {
      description: 'the other group at the end of both event topics',
    });
    const where = seen.map((record) => `${record.topic}:${record.partition}:${record.offset}`);
    expect(new Set(where).size).toBe(where.length);
    expect(seen.map((record) => record.key).sort()).toEqual(
      users.map((user) => user.data.id).sort(),
    );
    for (const record of seen) {
      expect(record.topic).toBe(iso.userTopic);
      expect(Object.keys(record.headers).filter((name) => FAILURE_HEADERS.has(name))).toEqual([]);
    }
  }, 90_000);
});
