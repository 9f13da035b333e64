import { randomUUID } from 'node:crypto';
import { Topics } from '@kafka-ecs/events';
import { graphql, waitFor } from '@kafka-ecs/testing';
import { produceRaw, type RawRecord, readTopics, startSystem } from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

const envelope = (type: string, data: unknown) => ({
  id: randomUUID(),
  type,
  version: 1,
  occurredAt: new Date().toISOString(),
  data,
});

const userData = (overrides: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  username: `poison-${Date.now()}`,
  email: 'poison@example.com',
  firstName: 'Rene',
  lastName: null,
  createdAt: new Date().toISOString(),
  ...overrides,
});

/**
 * Records no producer of ours would write, each of which can never apply: every one must end as
 * exactly one dead letter, reason non-retryable, without holding its partition.
 */
function poisonRecords(): { name: string; record: RawRecord }[] {
  // A valid event whose "é" is Latin-1 (one byte 0xE9), not UTF-8: a lenient decoder would
  // take it for a valid event with a replacement character.
  const latin1 = Buffer.from(JSON.stringify(envelope('new-user-created', userData())), 'utf8');
  const at = latin1.indexOf('Rene') + 3;
  latin1[at] = 0xe9;
  // Just under the broker's default 1 MiB record limit (the event topics keep it).
  const huge = JSON.stringify(envelope('new-user-created', userData({ username: '' })));
  const nearOneMb = huge.replace('"username":""', `"username":"${'a'.repeat(1_000_000)}"`);
  const hugeHeaders: Record<string, string> = {};
  for (let i = 0; i < 40; i++) hugeHeaders[`x-poison-${i}`] = 'h'.repeat(8_192);
  return [
    {
      name: 'invalid JSON',
      record: { topic: Topics.newUserCreated, key: 'poison-json', value: '{"id": "x", "type":' },
    },
    {
      name: 'invalid UTF-8',
      record: { topic: Topics.newUserCreated, key: 'poison-utf8', value: latin1 },
    },
    {
      name: 'bytes that are not text',
      record: {
        topic: Topics.issuedToken,
        key: 'poison-bytes',
        value: Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x00]),
      },
    },
    {
      name: 'wrong field types',
      record: {
        topic: Topics.newUserCreated,
        key: 'poison-types',
        value: JSON.stringify(
          envelope('new-user-created', userData({ id: 42, username: ['a'], email: true })),
        ),
      },
    },
    {
      name: 'wrong envelope types',
      record: {
        topic: Topics.issuedToken,
        key: 'poison-envelope',
        value: JSON.stringify({ ...envelope('issued-token', {}), version: '1', id: 7 }),
      },
    },
    {
      name: 'unknown type',
      record: {
        topic: Topics.newUserCreated,
        key: 'poison-type',
        value: JSON.stringify(envelope('user-deleted', { id: randomUUID() })),
      },
    },
    {
      name: 'null key',
      record: {
        topic: Topics.issuedToken,
        key: null,
        value: JSON.stringify(envelope('issued-token', { userId: 1, tokenId: null })),
      },
    },
    {
      name: 'null value (tombstone)',
      record: { topic: Topics.newUserCreated, key: 'poison-tombstone', value: null },
    },
    {
      name: 'value near 1 MB',
      record: { topic: Topics.newUserCreated, key: 'poison-huge', value: nearOneMb },
    },
    {
      name: 'huge headers',
      record: {
        topic: Topics.issuedToken,
        key: 'poison-headers',
        value: JSON.stringify({ hello: 'world' }),
        headers: hugeHeaders,
      },
    },
  ];
}

describe('poison records', () => {
  it('when records that can never apply are written straight to the event topics amid normal load, then each becomes exactly one non-retryable dead letter and every acknowledged event is applied', async () => {
    const system = await startSystem(scope, { consumers: 1 });
    const { consumer } = system;
    await system.waitForAssignment();
    const load = system.startLoad({ ratePerSecond: 50, maxMutations: 2_000 });
    await load.waitForMoreAcks(100);

    // Interleaved with the load: half now, half after more events went through.
    const poisons = poisonRecords();
    const half = Math.ceil(poisons.length / 2);
    await produceRaw(
      system.kafka.brokers,
      poisons.slice(0, half).map((poison) => poison.record),
    );
    await load.waitForMoreAcks(150);
    await produceRaw(
      system.kafka.brokers,
      poisons.slice(half).map((poison) => poison.record),
    );
    // The partitions behind the poison keep flowing: events sent after it are applied too.
    await load.waitForMoreAcks(200);

    const indexed = async () => {
      const result = await graphql<{ deadLetters: { totalCount: number } }>(
        `${consumer.url}/graphql`,
        '{ deadLetters(reason: "non-retryable", first: 1) { totalCount } }',
      );
      return result.data?.deadLetters.totalCount ?? -1;
    };
    const listed = await waitFor(
      async () => {
        const count = await indexed();
        return count >= poisons.length ? count : false;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'every poison record listed' },
    );

    // Listed means on the dead-letter topic (the index reads it): the reasons as written there.
    const reasons = (await readTopics(system.kafka.brokers)).deadLetterReasons;
    const figures = await finishAndExpectNothingLost('poison records', system, load, {
      poison: poisons.length,
      nonRetryable: reasons.get('non-retryable') ?? 0,
      listedNonRetryable: listed,
    });
    expect(figures.deadLettered).toBe(poisons.length);
    expect(Object.fromEntries(reasons)).toEqual({ 'non-retryable': poisons.length });
    expect(listed).toBe(poisons.length);
    expect(figures.extra.undecodable).toBe(poisons.length);
  }, 150_000);
});
