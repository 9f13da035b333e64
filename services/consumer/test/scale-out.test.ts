import {
  connectRawProducer,
  ownedPartitions,
  type ServiceProcess,
  startServiceProcess,
  waitFor,
} from '@kafka-ecs/testing';
import { createRedisViewStore } from '../src/infra/redis-view-store.ts';
import { viewKeys } from '../src/infra/view-keys.ts';
import { createIsolation, newRedis, publish, tokenIssued, userCreated } from './support/harness.ts';

/** Every one of the 16 partitions owned by exactly one of `instances`, each owning some. */
const shareAll = (instances: ServiceProcess[], groupId: string): boolean => {
  const lists = instances.map((instance) => ownedPartitions(instance.output, groupId));
  const all = lists.flat();
  return lists.every((list) => list.length > 0) && all.length === 16 && new Set(all).size === 16;
};

describe('consumer scale-out', () => {
  it('when three instances share 8 partitions and one is killed mid-stream, then nothing is lost and nothing applied twice', async () => {
    const iso = await createIsolation();
    const env = {
      CONSUMER_TOPICS: `${iso.userTopic},${iso.tokenTopic}`,
      CONSUMER_GROUP_ID: iso.groupId,
      VIEW_KEY_PREFIX: iso.viewPrefix,
      CONSUMER_SESSION_TIMEOUT_MS: '6000',
    };
    const cwd = `${import.meta.dirname}/..`;
    const instances = await Promise.all(
      [1, 2, 3].map(() => startServiceProcess({ cwd, env, startTimeoutMs: 30_000 })),
    );
    const producer = await connectRawProducer();
    const redis = newRedis();
    try {
      await waitFor(() => shareAll(instances, iso.groupId), {
        timeoutMs: 30_000,
        description: 'every instance owning partitions',
      });

      const users = Array.from({ length: 80 }, () => userCreated());
      await publish(producer, iso, users);
      const tokensPerUser = 6;
      const killed = instances[0] as ServiceProcess;
      for (let wave = 0; wave < tokensPerUser; wave++) {
        await publish(
          producer,
          iso,
          users.map((user) => tokenIssued(user.data.id)),
        );
        if (wave === 2) killed.child.kill('SIGKILL');
      }

      const tokensOf = async () =>
        Promise.all(
          users.map((user) =>
            redis.hget(viewKeys(iso.viewPrefix).user('v1', user.data.id), 'tokensIssued'),
          ),
        );
      // Tokens and profiles are on two topics whose partitions the group shares out apart: a
      // user's tokens can all be applied while its profile waits for the dead member's
      // partition to move. Done is both.
      const store = createRedisViewStore({ redis, prefix: iso.viewPrefix });
      const userCount = async () => (await store.users('v1', { first: 1, after: null })).totalCount;
      await waitFor(
        async () =>
          (await userCount()) === users.length &&
          (await tokensOf()).every((count) => count === String(tokensPerUser)),
        {
          timeoutMs: 45_000,
          description: 'every user and every token applied by the survivors',
        },
      );
      expect(await userCount()).toBe(users.length);
      expect(new Set(await tokensOf())).toEqual(new Set([String(tokensPerUser)]));
      // The survivors took over the dead member's partitions.
      await waitFor(() => shareAll(instances.slice(1), iso.groupId), {
        timeoutMs: 30_000,
        description: 'the survivors owning every partition',
      });
    } finally {
      await producer.close();
      redis.disconnect();
      const codes = await Promise.all(instances.map((instance) => instance.stop()));
      expect(codes.slice(1)).toEqual([0, 0]);
    }
  }, 120_000);
});
