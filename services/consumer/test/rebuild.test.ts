import { createKafkaConnection } from '@kafka-ecs/kafka';
import {
  connectRawProducer,
  deleteKeys,
  keysOnEveryMaster,
  metricValue,
  scrapeMetrics,
  testInfrastructure,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';
import { viewKeys } from '../src/infra/view-keys.ts';
import { runRebuild } from '../src/rebuild/run-rebuild.ts';
import {
  createIsolation,
  failingHandlers,
  graphql,
  logger,
  newRedis,
  publish,
  startTestConsumer,
  tokenIssued,
  USER_FIELDS,
  userCreated,
  viewedUser,
} from './support/harness.ts';

/**
 * A live consumer of its own (isolated topics, group and prefix), with a producer and a Redis
 * client to feed and inspect it, and its view's rebuild (the previous view dropped).
 */
async function liveConsumer() {
  const iso = await createIsolation();
  const service = await startTestConsumer(iso);
  const producer = await connectRawProducer();
  const redis = newRedis();
  const kafka = createKafkaConnection({
    brokers: testInfrastructure().kafkaBrokers,
    clientId: uniqueName('rebuild'),
    logger,
    library: testInfrastructure().kafkaLibrary,
  });
  return {
    iso,
    service,
    producer,
    redis,
    rebuild: (
      onProgress?: () => void,
      options: Pick<Parameters<typeof runRebuild>[0], 'handlers' | 'skipFailing'> = {},
    ) =>
      runRebuild({
        logger,
        kafka,
        redis,
        groupId: iso.groupId,
        topics: [iso.userTopic, iso.tokenTopic],
        viewPrefix: iso.viewPrefix,
        dropPrevious: true,
        onProgress,
        ...options,
      }),
    async close() {
      await producer.close();
      await service.close();
      redis.disconnect();
    },
  };
}

describe('view replay', () => {
  it('when the view is rebuilt while the live consumer runs, then readers switch to an identical view that keeps up', async () => {
    const { iso, service, producer, redis, rebuild, close } = await liveConsumer();
    const allUsers = async () =>
      (
        await graphql<{ users: { totalCount: number; nodes: Record<string, unknown>[] } }>(
          service.url,
          `{ users(first: 100) { totalCount nodes { ${USER_FIELDS} } } }`,
        )
      ).data?.users;
    try {
      const users = Array.from({ length: 30 }, () => userCreated());
      const tokens = users.flatMap((user, i) =>
        Array.from({ length: i % 4 }, () => tokenIssued(user.data.id)),
      );
      // Duplicates in the log must not count twice in the rebuilt view either.
      await publish(producer, iso, [...users, ...tokens, ...tokens.slice(0, 5)]);
      await waitFor(async () => {
        const page = await allUsers();
        const count = page?.nodes.reduce((sum, node) => sum + Number(node.tokensIssued), 0);
        return page?.totalCount === users.length && count === tokens.length;
      });
      const before = await allUsers();

      // Events that arrive during the rebuild reach the new view through the live consumer.
      const late = userCreated();
      let publishedLate = false;
      const result = await rebuild(() => {
        if (publishedLate) return;
        publishedLate = true;
        void publish(producer, iso, [late]);
      });
      expect(result).toMatchObject({ view: 'v2', previous: 'v1' });
      expect(result.droppedKeys).toBeGreaterThan(0);
      expect(await keysOnEveryMaster(redis, viewKeys(iso.viewPrefix).viewPattern('v1'))).toEqual(
        [],
      );

      await waitFor(async () => (await allUsers())?.totalCount === users.length + 1, {
        description: 'the late user in the rebuilt view',
      });
      const after = await allUsers();
      expect(after?.nodes.filter((node) => node.id !== late.data.id)).toEqual(before?.nodes);

      // And the live consumer now writes only the new view.
      const next = userCreated();
      await publish(producer, iso, [next]);
      await waitFor(async () => (await allUsers())?.totalCount === users.length + 2);
      expect(await redis.smembers(viewKeys(iso.viewPrefix).writing)).toEqual(['v2']);
    } finally {
      await close();
    }
  }, 60_000);

  it('when Redis comes back without the view and its registry, then the consumer keeps applying, records the view as lost, and a rebuild brings every user back', async () => {
    const { iso, service, producer, redis, rebuild, close } = await liveConsumer();
    const totalCount = async () =>
      (await graphql<{ users: { totalCount: number } }>(service.url, '{ users { totalCount } }'))
        .data?.users.totalCount;
    const viewLost = async () =>
      metricValue(await scrapeMetrics(service.metricsUrl), 'consumer_view_lost');
    try {
      const earlier = Array.from({ length: 5 }, () => userCreated());
      await publish(producer, iso, earlier);
      await waitFor(async () => (await totalCount()) === earlier.length, {
        description: 'the earlier users in the view',
      });
      expect(await viewLost()).toBe(0);

      // Everything of this deployment's view gone, as from a Redis restarted without its data.
      await deleteKeys(redis, `${iso.viewPrefix}:*`);
      const later = userCreated();
      await publish(producer, iso, [later]);
      // Before, every batch failed on the missing registry and was held, with /ready at 200.
      await waitFor(async () => Boolean(await viewedUser(service.url, later.data.id)), {
        timeoutMs: 20_000,
        description: 'the later user applied to a view made again',
      });
      expect(await totalCount()).toBe(1);
      expect(await viewLost()).toBe(1);
      expect(await redis.get(viewKeys(iso.viewPrefix).lost)).toMatch(/^\d{4}-\d\d-\d\dT/);

      const result = await rebuild();
      expect(result).toMatchObject({ view: 'v2', previous: 'v1' });
      expect(await totalCount()).toBe(earlier.length + 1);
      expect(await viewLost()).toBe(0);
    } finally {
      await close();
    }
  }, 60_000);

  it('when a record fails in every try of the rebuild (a handler that now rejects an event the view applied), then the rebuild gives up and readers keep the whole view; with skipFailing it switches without that event and counts it', async () => {
    const { iso, service, producer, rebuild, close } = await liveConsumer();
    try {
      const [rejected, kept] = [userCreated({ username: 'doomed-now' }), userCreated()];
      await publish(producer, iso, [rejected, kept]);
      for (const user of [rejected, kept]) {
        await waitFor(() => viewedUser(service.url, user.data.id), {
          description: `${user.data.username} in the live view`,
        });
      }
      // The live consumer applied both; the rebuild's handlers now reject one of them.
      const changed = { handlers: failingHandlers('always') };
      await expect(rebuild(undefined, changed)).rejects.toThrow(
        new RegExp(`^${iso.userTopic}/\\d+@\\d+ failed in every try \\(InjectedFaultError\\)`),
      );
      expect(await viewedUser(service.url, rejected.data.id)).toEqual({ username: 'doomed-now' });

      const result = await rebuild(undefined, { ...changed, skipFailing: true });
      expect(result).toMatchObject({ view: 'v3', skipped: { neverApplies: 0, keptFailing: 1 } });
      expect(await viewedUser(service.url, rejected.data.id)).toBeNull();
      expect(await viewedUser(service.url, kept.data.id)).toEqual({ username: kept.data.username });
    } finally {
      await close();
    }
  }, 60_000);
});
