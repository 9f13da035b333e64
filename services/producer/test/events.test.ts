import { decodeEvent, type IssuedTokenEvent, type NewUserCreatedEvent } from '@kafka-ecs/events';
import { readTopic } from '@kafka-ecs/testing';
import { decodeJwt } from 'jose';
import {
  CREATE_USER,
  LOGIN,
  newUser,
  PARTITIONS,
  startTestProducer,
  type TestProducer,
} from './support/harness.ts';
import { javaPartition } from './support/murmur2.ts';

describe('published events', () => {
  let producer: TestProducer;
  beforeEach(async () => {
    // These tests are about the events, not the publish bound (unavailable.test.ts is): a
    // broker that stalls for a few seconds under the 1,000 creates must not turn into
    // SERVICE_UNAVAILABLE.
    producer = await startTestProducer({ publishTimeoutMs: 10_000 });
  });
  afterEach(async () => {
    await producer.close();
  });

  it('when a user is created and logs in, then each event is on its topic, keyed by the user id, on the Java partition, with no secret', async () => {
    const input = newUser({ firstName: 'Ada', lastName: 'Lovelace' });
    const created = await producer.graphql(CREATE_USER, { input });
    expect(created.body.errors).toBeUndefined();
    const user = created.body.data.createUser;
    expect(user).toMatchObject({ username: input.username, firstName: 'Ada' });
    // Answered only after the broker acknowledged: the record is already there.
    const [userRecord] = await readTopic(producer.topics['new-user-created'], 1);
    expect(userRecord?.key).toBe(user.id);
    expect(userRecord?.partition).toBe(javaPartition(user.id, PARTITIONS));
    const userEvent = decodeEvent(userRecord?.value) as NewUserCreatedEvent;
    expect(userEvent).toMatchObject({ type: 'new-user-created', version: 1, data: user });
    expect(userRecord?.headers).toMatchObject({
      'event-type': 'new-user-created',
      'event-id': userEvent.id,
    });

    const login = await producer.graphql(LOGIN, {
      username: input.username,
      password: input.password,
    });
    expect(login.body.errors).toBeUndefined();
    const { token, expiresAt } = login.body.data.login;
    const [tokenRecord] = await readTopic(producer.topics['issued-token'], 1);
    expect(tokenRecord?.key).toBe(user.id);
    expect(tokenRecord?.partition).toBe(userRecord?.partition);
    const tokenEvent = decodeEvent(tokenRecord?.value) as IssuedTokenEvent;
    const claims = decodeJwt(token);
    expect(tokenEvent.data).toEqual({
      userId: user.id,
      tokenId: claims.jti,
      issuedAt: expect.any(String),
      expiresAt,
    });
    expect(claims.sub).toBe(user.id);

    for (const record of [userRecord, tokenRecord]) {
      const text = record?.value?.toString() ?? '';
      expect(text).not.toContain(input.password);
      expect(text).not.toContain('scrypt');
      expect(text).not.toContain(token);
      expect(text).not.toMatch(/password|hash/i);
    }
  });

  it('when 1,000 distinct users are created concurrently, then every one lands on its Java partition and all 8 partitions are used', async () => {
    const count = 1000;
    const concurrency = 50;
    const inputs = Array.from({ length: count }, (_, i) =>
      newUser({ username: `bulk-${i}-${producer.keyPrefix.slice(9, 25).replace(/:/g, '')}` }),
    );
    const ids: string[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < inputs.length) {
          const input = inputs[next++];
          const result = await producer.graphql(CREATE_USER, { input });
          expect(result.body.errors).toBeUndefined();
          ids.push(result.body.data.createUser.id);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.info(
      `created ${count} users at concurrency ${concurrency} in ${seconds.toFixed(2)} s (${Math.round(count / seconds)}/s)`,
    );

    const records = await readTopic(producer.topics['new-user-created'], count, {
      timeoutMs: 30_000,
    });
    expect(records).toHaveLength(count);
    expect(new Set(records.map((record) => record.key))).toEqual(new Set(ids));
    for (const record of records) {
      expect(record.partition).toBe(javaPartition(record.key ?? '', PARTITIONS));
    }
    const perPartition = new Map<number, number>();
    for (const record of records) {
      perPartition.set(record.partition, (perPartition.get(record.partition) ?? 0) + 1);
    }
    expect(perPartition.size).toBe(PARTITIONS);
    // Uniform keys: every partition gets a fair share (expected 125 each).
    for (const share of perPartition.values()) expect(share).toBeGreaterThan(60);
  }, 120_000);
});
