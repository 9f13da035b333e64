import { keysOnEveryMaster, waitFor } from '@kafka-ecs/testing';
import { createRedisLoginThrottle } from '../src/infra/redis-login-throttle.ts';
import {
  CREATE_USER,
  codeOf,
  countingHasher,
  type GraphqlBody,
  LOGIN,
  newUser,
  redisClusterUrl,
  startTestProducer,
  type TestProducer,
} from './support/harness.ts';

const retryAfterOf = (body: GraphqlBody) => body.errors?.[0]?.extensions?.retryAfterSeconds;

// Every case on the stack's single Redis and on the three-master cluster of
// `pnpm stack:up --redis-cluster` (brought up when it does not run), where the user store's keys
// are tagged and the throttle's are not.
const REDIS_KINDS: [string, () => Promise<{ redisCluster?: string }>][] = [
  ['a single Redis', async () => ({})],
  ['a Redis Cluster', async () => ({ redisCluster: await redisClusterUrl() })],
];

describe.each(REDIS_KINDS)('login throttling on %s', (_name, redisOf) => {
  const counting = countingHasher();
  let producer: TestProducer;
  const login = async (username: string, password: string) =>
    (await producer.graphql(LOGIN, { username, password })).body;
  const createUser = async () => {
    const input = newUser();
    expect((await producer.graphql(CREATE_USER, { input })).body.errors).toBeUndefined();
    return input;
  };

  beforeAll(async () => {
    producer = await startTestProducer({
      ...(await redisOf()),
      settings: { loginMaxFailures: 3, loginFailureWindowSeconds: 60 },
      wrapHasher: counting.wrap,
    });
  }, 60_000);
  afterAll(async () => {
    await producer.close();
  });

  it('when a username had the most failures, then even the right password is TOO_MANY_REQUESTS with retryAfterSeconds, without a hash, and another username is unaffected', async () => {
    const ada = await createUser();
    const bob = await createUser();
    for (let i = 0; i < 3; i++) {
      expect(codeOf(await login(ada.username, 'wrong password'))).toBe('UNAUTHENTICATED');
    }
    // Under the producer's own prefix, so tests and deployments sharing a Redis stay apart.
    expect(
      await keysOnEveryMaster(producer.redis, `${producer.keyPrefix}login-failures:*`),
    ).toEqual([`${producer.keyPrefix}login-failures:${ada.username}`]);

    const before = { ...counting.counts };
    for (const password of ['wrong password', ada.password]) {
      const body = await login(ada.username, password);
      expect(codeOf(body)).toBe('TOO_MANY_REQUESTS');
      expect(body.data).toBeNull();
      const retryAfter = retryAfterOf(body);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Letters in another case or Unicode form are the same username to the throttle.
    expect(codeOf(await login(ada.username.toUpperCase(), ada.password))).toBe('TOO_MANY_REQUESTS');
    expect(counting.counts).toEqual(before);

    const other = await login(bob.username, bob.password);
    expect(other.errors).toBeUndefined();
    expect(other.data.login.user.username).toBe(bob.username);
  });

  /** The producer's throttle on its own Redis, for a username of its own, and that name's key. */
  const throttleOfNewUser = (windowSeconds: number) => {
    const throttle = createRedisLoginThrottle(producer.redis, {
      keyPrefix: producer.keyPrefix,
      maxFailures: 3,
      windowSeconds,
    });
    const { username } = newUser();
    return { throttle, username, key: `${producer.keyPrefix}login-failures:${username}` };
  };

  it('when an attempt is given back (a login refused as busy), then a window still counting loses one and keeps its expiry, and a window already cleared gets no credit', async () => {
    const { throttle, username, key } = throttleOfNewUser(60);
    await throttle.consume(username);
    const attempt = await throttle.consume(username);

    await throttle.refund(username, attempt);
    expect(await producer.redis.get(key)).toBe('1');
    expect(await producer.redis.pttl(key)).toBeGreaterThan(50_000);

    await throttle.reset(username);
    await throttle.refund(username, attempt);
    expect(await producer.redis.exists(key)).toBe(0);
  });

  it('when the window that counted an attempt ended and a later one counts, then the refund leaves the later one alone', async () => {
    // Long enough that the later window has seconds left when the refund comes, on any load.
    const { throttle, username, key } = throttleOfNewUser(3);
    const early = await throttle.consume(username);
    await waitFor(async () => (await producer.redis.exists(key)) === 0, {
      timeoutMs: 8_000,
      description: 'the 3 s window to end',
    });
    // A login of the new window, then the old attempt given back (it waited out the window).
    await throttle.consume(username);
    await throttle.refund(username, early);
    expect(await producer.redis.get(key)).toBe('1');
  });

  it('when a login succeeds, then the failures before it are forgotten', async () => {
    const ada = await createUser();
    for (let i = 0; i < 2; i++) {
      expect(codeOf(await login(ada.username, 'wrong password'))).toBe('UNAUTHENTICATED');
    }
    expect((await login(ada.username, ada.password)).errors).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      expect(codeOf(await login(ada.username, 'wrong password'))).toBe('UNAUTHENTICATED');
    }
    expect(codeOf(await login(ada.username, ada.password))).toBe('TOO_MANY_REQUESTS');
  });

  it('when guesses arrive all at once, then only the allowed number is hashed and the rest are throttled', async () => {
    const ada = await createUser();
    const before = counting.counts.verify;
    const bodies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(ada.username, `wrong password ${i}`)),
    );
    const codes = bodies.map(codeOf);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(3);
    expect(codes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(17);
    expect(counting.counts.verify - before).toBe(3);
  });

  it('when one request carries aliased guesses, or the username comes in other forms, then it gets no more tries', async () => {
    const ada = await createUser();
    const before = counting.counts.verify;
    const aliased = Array.from(
      { length: 6 },
      (_, i) => `g${i}: login(username: $username, password: "guess ${i}") { token }`,
    ).join(' ');
    // Mutation fields run one after the other, and a failed login (non-null) ends the request:
    // one guess per request, whatever its aliases.
    const guess = async () =>
      (
        await producer.graphql(`mutation ($username: String!) { ${aliased} }`, {
          username: ada.username,
        })
      ).body;
    for (let i = 0; i < 3; i++) {
      expect((await guess()).errors?.map((error) => error.extensions?.code)).toEqual([
        'UNAUTHENTICATED',
      ]);
    }
    expect(codeOf(await guess())).toBe('TOO_MANY_REQUESTS');
    expect(counting.counts.verify - before).toBe(3);
    // Full-width letters, padding and capitals normalize to the same username.
    const fullWidth = [...ada.username]
      .map((c) => (/[a-z]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c))
      .join('');
    for (const variant of [fullWidth, ` ${ada.username} `, ada.username.toUpperCase()]) {
      expect(codeOf(await login(variant, ada.password))).toBe('TOO_MANY_REQUESTS');
    }
  });

  it('when the username does not exist, then its failures spend one hash each and are throttled alike', async () => {
    const before = counting.counts.verify;
    for (let i = 0; i < 3; i++) {
      expect(codeOf(await login('nobody-at-all', 'wrong password'))).toBe('UNAUTHENTICATED');
    }
    expect(counting.counts.verify - before).toBe(3);
    expect(codeOf(await login('nobody-at-all', 'wrong password'))).toBe('TOO_MANY_REQUESTS');
    expect(counting.counts.verify - before).toBe(3);
  });

  it('when the username is not one createUser accepts, then it is throttled too, under a bounded key', async () => {
    const odd = `Someone With Spaces ${'x'.repeat(500)}`;
    for (let i = 0; i < 3; i++) {
      expect(codeOf(await login(odd, 'wrong password'))).toBe('UNAUTHENTICATED');
    }
    expect(codeOf(await login(odd, 'wrong password'))).toBe('TOO_MANY_REQUESTS');
    const keys = await keysOnEveryMaster(producer.redis, `${producer.keyPrefix}login-failures:#*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.length).toBeLessThan(producer.keyPrefix.length + 64);
  });
});

describe.each(REDIS_KINDS)('login throttling window on %s', (_name, redisOf) => {
  it('when the window has passed, then the username logs in again', async () => {
    const producer = await startTestProducer({
      ...(await redisOf()),
      settings: { loginMaxFailures: 1, loginFailureWindowSeconds: 2 },
    });
    try {
      const ada = newUser();
      expect((await producer.graphql(CREATE_USER, { input: ada })).body.errors).toBeUndefined();
      const login = async () =>
        (await producer.graphql(LOGIN, { username: ada.username, password: ada.password })).body;
      expect(
        codeOf((await producer.graphql(LOGIN, { ...ada, password: 'wrong password' })).body),
      ).toBe('UNAUTHENTICATED');
      const throttled = await login();
      expect(codeOf(throttled)).toBe('TOO_MANY_REQUESTS');
      expect([1, 2]).toContain(retryAfterOf(throttled));
      await waitFor(async () => !(await login()).errors, {
        timeoutMs: 6_000,
        description: 'a login once the 2 s window passed',
      });
    } finally {
      await producer.close();
    }
  });
});
