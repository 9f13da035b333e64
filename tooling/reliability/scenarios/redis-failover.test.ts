import { failuresByOutcome, scrapeCounter, startSystem } from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

describe('Redis Cluster failover', () => {
  it("when a master of the consumer's Redis Cluster is killed under load, then its replica takes over, the consumer holds and resumes by itself, and nothing is lost or applied twice", async () => {
    const system = await startSystem(scope, { consumers: 1, redisCluster: true });
    const { consumer } = system;
    const cluster = system.redisCluster;
    if (!cluster) throw new Error('startSystem made no Redis Cluster');
    await system.waitForAssignment();
    const load = system.startLoad({ ratePerSecond: 50, maxMutations: 2_500 });
    await load.waitForMoreAcks(150);

    // A third of the users' keys (and of the index shards) live on the master killed here.
    const killedAt = Date.now();
    const killed = await cluster.killMaster();
    const failoverMs = await cluster.waitForFailover(killedAt);
    await load.waitForMoreAcks(150);
    // Back as a replica of the promoted node: the cluster is whole again. With one replica per
    // master the consumer's batches wait for this (REDIS_WAIT_REPLICAS=1: the promoted master
    // has no replica to acknowledge them until then).
    await cluster.restartKilled();
    await load.waitForMoreAcks(100);

    const heldBatches = await scrapeCounter(consumer.metricsUrl, 'consumer_batch_failures_total');
    await finishAndExpectNothingLost('Redis Cluster failover', system, load, {
      killed,
      failoverMs,
      heldBatches,
      failures: failuresByOutcome(load),
    });
    // Held, not skipped: batches for the lost master's slots failed and were tried again.
    expect(heldBatches).toBeGreaterThan(0);
    // The same process throughout: it rode over the failover rather than exit.
    expect(consumer.alive()).toBe(true);
  }, 180_000);
});
