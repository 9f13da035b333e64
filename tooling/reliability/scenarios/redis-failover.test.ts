import { waitFor } from '@kafka-ecs/testing';
import {
  failuresByOutcome,
  readerAuthorization,
  scrapeCounter,
  startSystem,
  subscribe,
} from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const NOTIFICATION = 'subscription { userNotification { id } }';

const scope = useScope();

describe('Redis Cluster failover', () => {
  it("when a master of the consumer's Redis Cluster is killed under load, then its replica takes over, the consumer holds and resumes by itself, an operator's subscription keeps receiving, and nothing is lost or applied twice", async () => {
    const system = await startSystem(scope, { consumers: 1, redisCluster: true });
    const { consumer } = system;
    const cluster = system.redisCluster;
    if (!cluster) throw new Error('startSystem made no Redis Cluster');
    await system.waitForAssignment();
    // An operator watching every change over GraphQL across the failover. Its notifications
    // reach the consumer through the cluster's pub/sub, on the one subscriber connection ioredis
    // keeps on a node it picks at random, replicas included.
    const watcher = scope.add(
      await subscribe(`${consumer.url}/graphql`, NOTIFICATION, {
        authorization: readerAuthorization(),
      }),
      (subscription) => subscription.close(),
    );
    const load = system.startLoad({ ratePerSecond: 50, maxMutations: 2_500 });
    await load.waitForMoreAcks(150);
    await waitFor(() => watcher.results.length > 0, {
      timeoutMs: 15_000,
      description: 'the operator’s subscription receiving changes',
    });
    // The subscriber connection made to sit on a master (dropped from a replica, ioredis picks
    // again), so the master killed below is its node and ioredis has to move it.
    const subscriberNode = await waitFor(
      async () => {
        const [node, ...others] = await cluster.pubsubNodes();
        if (others.length > 0) throw new Error('more than one pub/sub connection');
        if (node?.role === 'master') return node.address;
        if (node) await cluster.dropPubsubClients(node.address);
        return undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, description: "the consumer's subscriber on a master" },
    );

    // A third of the users' keys (and of the index shards) live on the master killed here.
    const killedAt = Date.now();
    const killed = await cluster.killMaster(subscriberNode);
    const failoverMs = await cluster.waitForFailover(killedAt);
    await load.waitForMoreAcks(150);
    // Back as a replica of the promoted node: the cluster is whole again. With one replica per
    // master the consumer's batches wait for this (REDIS_WAIT_REPLICAS=1: the promoted master
    // has no replica to acknowledge them until then).
    await cluster.restartKilled();
    await load.waitForMoreAcks(100);
    // Changes made from now on still reach the operator: the subscriber moved and subscribed again.
    const notifiedBefore = watcher.results.length;
    await waitFor(() => watcher.results.length >= notifiedBefore + 20, {
      timeoutMs: 20_000,
      description: 'the subscription receiving changes after the failover',
    });

    const heldBatches = await scrapeCounter(consumer.metricsUrl, 'consumer_batch_failures_total');
    await finishAndExpectNothingLost('Redis Cluster failover', system, load, {
      killed,
      failoverMs,
      heldBatches,
      notified: watcher.results.length,
      failures: failuresByOutcome(load),
    });
    expect(watcher.errors).toEqual([]);
    // Held, not skipped: batches for the lost master's slots failed and were tried again.
    expect(heldBatches).toBeGreaterThan(0);
    // The same process throughout: it rode over the failover rather than exit.
    expect(consumer.alive()).toBe(true);
  }, 180_000);
});
