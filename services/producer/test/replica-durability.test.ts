import { startTestRedisServers, type TestRedisServers } from '@kafka-ecs/devstack';
import { endOffsetSum, startTcpProxy, type TcpProxy, waitFor } from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import { userKeys } from '../src/infra/user-keys.ts';
import {
  CREATE_USER,
  codeOf,
  LOGIN,
  newUser,
  startTestProducer,
  type TestProducer,
} from './support/harness.ts';

/**
 * createUser with REDIS_WAIT_REPLICAS=1, as prod runs it on ElastiCache with a replica: two real
 * redis-servers of the test's own (the stack's Redis has no replica), the replica following the
 * primary through a proxy the test can cut.
 */
describe('createUser when its writes must reach a replica (REDIS_WAIT_REPLICAS=1)', () => {
  let servers: TestRedisServers<'primary' | 'replica'>;
  let link: TcpProxy;
  let primary: Redis;
  let replica: Redis;
  let producer: TestProducer;
  const someone = newUser();

  beforeAll(async () => {
    servers = await startTestRedisServers(['primary', 'replica']);
    link = await startTcpProxy({ target: { host: '127.0.0.1', port: servers.ports.primary } });
    await servers.replicate('replica', link.port);
    primary = new Redis({ port: servers.ports.primary });
    replica = new Redis({ port: servers.ports.replica });
    producer = await startTestProducer({
      redisUrl: `redis://127.0.0.1:${servers.ports.primary}`,
      settings: { redisWaitReplicas: 1 },
    });
    // Given a URL, the harness does not wait for the connections: /ready does.
    await waitFor(async () => (await fetch(`${producer.url}/ready`)).status === 200, {
      timeoutMs: 10_000,
      description: 'the producer ready',
    });
    // A user to log in as while the replica is cut off.
    const { body } = await producer.graphql(CREATE_USER, { input: someone });
    expect(body.errors).toBeUndefined();
  }, 30_000);

  afterAll(async () => {
    await producer?.close();
    primary?.disconnect();
    replica?.disconnect();
    await link?.close();
    await servers?.stop();
  });

  const keys = () => userKeys(producer.keyPrefix, { cluster: false });

  it('when the replica follows, then createUser answers once the replica holds the committed user', async () => {
    const input = newUser();
    const { body } = await producer.graphql(CREATE_USER, { input });
    expect(body.errors).toBeUndefined();
    const { id, username } = body.data.createUser;

    // Read from the replica the moment the answer arrived: no waiting for it to catch up.
    const stored = await replica.get(keys().user({ id, username }));
    expect(JSON.parse(stored ?? '{}')).toMatchObject({ id, username, state: 'committed' });
    expect(await replica.get(keys().username(username))).toBe(id);
  });

  describe('with the replica cut off', () => {
    beforeAll(async () => {
      await link.cut();
      await waitFor(async () => !(await servers.linked('replica')), {
        timeoutMs: 10_000,
        description: 'the replica losing its primary',
      });
    });
    afterAll(async () => {
      await link.restore();
      await waitFor(() => servers.linked('replica'), {
        timeoutMs: 15_000,
        description: 'the replica following again',
      });
    });

    it('when createUser cannot reach a replica, then it fails SERVICE_UNAVAILABLE before anything is published, and the username stays free', async () => {
      const published = await endOffsetSum(producer.topics['new-user-created']);
      const input = newUser();

      const { body } = await producer.graphql(CREATE_USER, { input });

      expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE');
      expect(await endOffsetSum(producer.topics['new-user-created'])).toBe(published);
      expect(await primary.get(keys().username(input.username))).toBeNull();
    });

    it('while a createUser waits for a replica, then the WAIT holds a connection logins do not use, and a login is answered', async () => {
      const waiting = producer.graphql(CREATE_USER, { input: newUser() });
      const blockedWaits = async () =>
        String(await primary.call('CLIENT', 'LIST'))
          .split('\n')
          .filter((client) => / cmd=wait /.test(client) && / flags=\w*b/.test(client))
          .map((client) => /^id=(\d+) /.exec(client)?.[1]);
      let blocked: (string | undefined)[] = [];
      await waitFor(
        async () => {
          blocked = await blockedWaits();
          return blocked.length > 0;
        },
        { timeoutMs: 5_000, description: "createUser's WAIT holding its connection" },
      );

      // A WAIT holds its connection until it answers: on the connection logins use, every login
      // would queue behind it for up to its bound while a replica is missing.
      expect(blocked).not.toContain(String(await producer.redis.client('ID')));
      const login = await producer.graphql(LOGIN, {
        username: someone.username,
        password: someone.password,
      });
      expect(login.body.errors).toBeUndefined();
      expect(codeOf((await waiting).body)).toBe('SERVICE_UNAVAILABLE');
    });
  });
});
