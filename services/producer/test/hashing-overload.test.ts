import { decodeEvent, type NewUserCreatedEvent } from '@kafka-ecs/events';
import {
  endOffsetSum,
  keysOnEveryMaster,
  metricValue,
  readTopic,
  scrapeMetrics,
  waitFor,
} from '@kafka-ecs/testing';
import type { PasswordHasher } from '../src/domain/ports.ts';
import {
  CREATE_USER,
  codeOf,
  type GraphqlBody,
  LOGIN,
  newUser,
  startTestProducer,
  type TestProducer,
} from './support/harness.ts';

/**
 * Wraps the real hasher so that, once `hold()` is called, every hash and verification waits until
 * `release()`: the test decides when the service's one hashing slot frees up. `held` counts the
 * ones held since the last `hold()`.
 */
function holdingHasher() {
  let gate: Promise<void> | undefined;
  let open = () => {};
  let held = 0;
  const wait = async () => {
    if (!gate) return;
    held++;
    await gate;
  };
  const wrap = (inner: PasswordHasher): PasswordHasher => ({
    hash: async (password) => {
      await wait();
      return inner.hash(password);
    },
    verify: async (password, hash) => {
      await wait();
      return inner.verify(password, hash);
    },
    needsRehash: (hash) => inner.needsRehash(hash),
  });
  return {
    wrap,
    get held() {
      return held;
    },
    hold() {
      held = 0;
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = undefined;
      open();
    },
  };
}

const retryAfterOf = (body: GraphqlBody) => body.errors?.[0]?.extensions?.retryAfterSeconds;

describe('password hashes beyond what the service can compute in time', () => {
  const holding = holdingHasher();
  let producer: TestProducer;
  const refusedTotal = async () =>
    metricValue(await scrapeMetrics(producer.metricsUrl), 'producer_password_hashes_refused_total');
  /** A producer computing one hash at a time, with `maxWaiting` waiting: small enough to count. */
  const start = async (maxWaiting: number) => {
    producer = await startTestProducer({
      settings: { hashing: { concurrency: 1, maxWaitMs: 60_000, maxWaiting } },
      wrapHasher: holding.wrap,
    });
  };

  afterEach(async () => {
    holding.release();
    await producer.close();
  });

  it('when five createUser calls arrive at once, then three are served in turn and two are refused at once as SERVICE_UNAVAILABLE with retryAfterSeconds, having written nothing', async () => {
    await start(2);
    const users = Array.from({ length: 5 }, () => newUser());
    holding.hold();
    const answers = users.map((input) =>
      producer.graphql(CREATE_USER, { input }).then(({ body }) => ({ input, body })),
    );
    const settled: { body: GraphqlBody }[] = [];
    for (const answer of answers) void answer.then((done) => settled.push(done));

    // The refusals answer while the first hash is held and the next two wait behind it.
    await waitFor(() => settled.length === 2, { timeoutMs: 10_000, description: 'two refusals' });
    expect(holding.held).toBe(1);
    for (const { body } of settled) {
      expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE');
      expect(body.errors?.[0]?.message).toBe('the service is busy, try again later');
      expect(retryAfterOf(body)).toBeGreaterThanOrEqual(1);
    }
    expect(await refusedTotal()).toBe(2);

    holding.release();
    const all = await Promise.all(answers);
    const served = all.filter(({ body }) => !body.errors).map(({ input }) => input.username);
    const refused = all.filter(({ body }) => body.errors).map(({ input }) => input.username);
    expect(served).toHaveLength(3);

    // Every answer is in: the topic holds the served users' events and nothing else.
    const topic = producer.topics['new-user-created'];
    expect(await endOffsetSum(topic)).toBe(3);
    const published = (await readTopic(topic, 3)).map(
      (record) => (decodeEvent(record.value) as NewUserCreatedEvent).data.username,
    );
    expect(published.sort()).toEqual(served.sort());
    for (const username of refused) {
      expect(await keysOnEveryMaster(producer.redis, `${producer.keyPrefix}*${username}*`)).toEqual(
        [],
      );
      const login = await producer.graphql(LOGIN, { username, password: 'correct horse battery' });
      expect(codeOf(login.body)).toBe('UNAUTHENTICATED');
    }
    // Coming back later works.
    const again = users.find((user) => user.username === refused[0]);
    expect((await producer.graphql(CREATE_USER, { input: again })).body.errors).toBeUndefined();
  });

  it('when a login is refused as busy, then its attempt is given back: a user retrying through a burst is not throttled', async () => {
    await start(0);
    const ada = newUser();
    expect((await producer.graphql(CREATE_USER, { input: ada })).body.errors).toBeUndefined();
    holding.hold();
    const busy = producer.graphql(CREATE_USER, { input: newUser() });
    await waitFor(() => holding.held === 1, { timeoutMs: 10_000, description: 'a held hash' });

    // More refused logins than the username's 5 allowed failures.
    for (let attempt = 0; attempt < 7; attempt++) {
      const { body } = await producer.graphql(LOGIN, {
        username: ada.username,
        password: ada.password,
      });
      expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE');
      expect(retryAfterOf(body)).toBeGreaterThanOrEqual(1);
    }
    expect(await refusedTotal()).toBe(7);

    holding.release();
    expect((await busy).body.errors).toBeUndefined();
    const { body } = await producer.graphql(LOGIN, {
      username: ada.username,
      password: ada.password,
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.login.user.username).toBe(ada.username);
  });
});
