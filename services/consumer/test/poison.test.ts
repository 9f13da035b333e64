import { encodeEvent, FailureHeaders as H } from '@kafka-ecs/events';
import {
  connectRawProducer,
  createTestTopics,
  followTopic,
  type RawProducer,
  waitFor,
} from '@kafka-ecs/testing';
import {
  createIsolation,
  type Isolation,
  startTestConsumer,
  type TestConsumer,
  userCreated,
  viewedUser,
} from './support/harness.ts';

const MIB = 1024 * 1024;

describe('poison records', () => {
  let iso: Isolation;
  let producer: RawProducer;
  let service: TestConsumer;
  // What beforeAll started, closed in reverse, also when it failed halfway.
  const started: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    // Large records allowed on the event topic, and (as the consumer creates them) on the
    // retry and dead-letter topics.
    iso = await createIsolation({ config: { 'max.message.bytes': String(3 * MIB) } });
    await createTestTopics([iso.retryTopic, iso.deadLetterTopic], {
      config: { 'max.message.bytes': String(10 * MIB) },
    });
    producer = await connectRawProducer();
    started.push(producer);
    service = await startTestConsumer(iso);
    started.push(service);
  });

  afterAll(async () => {
    for (const piece of started.splice(0).reverse()) await piece.close();
  });

  it('when records written straight to the topic are poison, then each becomes one non-retryable dead letter and the partition keeps flowing', async () => {
    const deadLetters = await followTopic(iso.deadLetterTopic);
    const key = 'poisoned-user';
    const valid = JSON.parse(encodeEvent(userCreated({ id: key })).toString());
    const poison: {
      name: string;
      key: string | null;
      value: Buffer | string;
      headers?: Record<string, string>;
    }[] = [
      { name: 'invalid JSON', key, value: '{"id": ' },
      { name: 'invalid UTF-8', key, value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
      {
        name: 'wrong field types',
        key,
        value: JSON.stringify({ ...valid, data: { ...valid.data, createdAt: 42 } }),
      },
      { name: 'unknown type', key, value: JSON.stringify({ ...valid, type: 'user-exploded' }) },
      { name: 'null key', key: null, value: 'null' },
      { name: '2 MB value', key, value: Buffer.alloc(2 * MIB, 0x61) },
      {
        name: 'huge headers',
        key,
        value: '[]',
        headers: { 'x-junk': 'h'.repeat(512 * 1024), note: 'n'.repeat(10_000) },
      },
    ];
    try {
      for (const record of poison) {
        await producer.send(iso.userTopic, [
          { key: record.key, value: record.value, headers: record.headers },
        ]);
      }
      // A healthy event behind all of them, on the same partition as the keyed ones.
      const healthy = userCreated({ id: key, username: 'healthy-after-poison' });
      await producer.send(iso.userTopic, [{ key, value: encodeEvent(healthy) }]);

      await waitFor(
        async () => (await viewedUser(service.url, key))?.username === 'healthy-after-poison',
        { timeoutMs: 30_000, description: 'the healthy event behind the poison' },
      );
      await waitFor(() => deadLetters.records.length >= poison.length, {
        timeoutMs: 30_000,
        description: 'a dead letter per poison record',
      });
      expect(deadLetters.records).toHaveLength(poison.length);
      for (const record of deadLetters.records) {
        expect(record.headers[H.deadLetterReason]).toBe('non-retryable');
        expect(record.headers[H.attempt]).toBe('1');
        expect(record.headers[H.errorName]).toBe('EventDecodeError');
      }
      const sizes = deadLetters.records
        .map((record) => record.value?.length ?? 0)
        .sort((a, b) => a - b);
      expect(sizes.at(-1)).toBe(2 * MIB);
      // The original headers travel with the dead letter, next to the failure headers.
      const withHeaders = deadLetters.records.find((record) => record.headers.note);
      expect(withHeaders?.headers.note).toHaveLength(10_000);
      expect(withHeaders?.headers['x-junk']).toHaveLength(512 * 1024);
    } finally {
      await deadLetters.stop();
    }
  });
});
