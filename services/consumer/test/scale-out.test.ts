import {
  connectRawProducer,
  groupAssignment,
  type ServiceProcess,
  startServiceProcess,
  waitFor,
} from '@kafka-ecs/testing';
import { createRedisViewStore } from '../src/infra/redis-view-store.ts';
import { viewKeys } from '../src/infra/view-keys.ts';
import { createIsolation, newRedis, publish, tokenIssued, userCreated } from './support/harness.ts';

/** How many partitions an instance owns in the group `groupId`, from its log. */
const latestAssignment = (instance: ServiceProcess, groupId: string): number =>
  Object.values(groupAssignment(instance.output, groupId)).reduce(
    (sum, partitions) => sum + partitions.length,
    0,
  );

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
      await waitFor(
        () =>
          instances.every((instance) => latestAssignment(instance, iso.groupId) > 0) &&
          instances.reduce((sum, instance) => sum + latestAssignment(instance, iso.groupId), 0) ===
            16,
        {
          timeoutMs: 30_000,
          description: 'every instance owning partitions',
        },
      );

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
      await waitFor(
        async () => (await tokensOf()).every((count) => count === String(tokensPerUser)),
        {
          timeoutMs: 45_000,
          description: 'every token applied by the survivors',
        },
      );
      const store = createRedisViewStore({ redis, prefix: iso.viewPrefix });
      expect((await store.users('v1', { first: 1, after: null })).totalCount).toBe(users.length);
      // The survivors took over the dead member's partitions.
      await waitFor(
        () =>
          instances
            .slice(1)
            .reduce((sum, instance) => sum + latestAssignment(instance, iso.groupId), 0) === 16,
      );
    } finally {
      await producer.close();
      redis.disconnect();
      const codes = await Promise.all(instances.map((instance) => instance.stop()));
      expect(codes.slice(1)).toEqual([0, 0]);
    }
  }, 120_000);
});
