import { waitFor } from '@kafka-ecs/testing';
import {
  committedOffsets,
  failuresByOutcome,
  probe,
  scrapeCounter,
  startSystem,
} from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

describe('Redis restart', () => {
  it("when the consumer's Redis and then the producer's restart under load, then the consumer holds and catches up, the producer answers SERVICE_UNAVAILABLE meanwhile, both recover by themselves, and nothing is lost", async () => {
    // Two Redis, so events keep coming while the consumer's is down (the producer needs its own).
    const system = await startSystem(scope, { consumers: 1, separateRedis: true });
    const { consumer } = system;
    await system.waitForAssignment();
    const load = system.startLoad({ ratePerSecond: 50, maxMutations: 2_500 });
    await load.waitForMoreAcks(150);

    // The consumer's Redis. SIGTERM: Redis writes its append-only file on the way out.
    await system.consumerRedis.stop();
    const heldBatches = () => scrapeCounter(consumer.metricsUrl, 'consumer_batch_failures_total');
    const holding = (count: number) =>
      waitFor(async () => (await heldBatches()) >= count, {
        timeoutMs: 15_000,
        description: `the consumer holding batches it cannot write (${count} failed tries)`,
      });
    await holding(1);
    const committedWhileDown = await committedOffsets(system.kafka.brokers, system.groupId);
    await load.waitForMoreAcks(150);
    await holding(3);
    const consumerReady = await probe(`${consumer.url}/ready`);
    // Held, not skipped: nothing was committed while the view could not be written.
    const committedBeforeRestart = await committedOffsets(system.kafka.brokers, system.groupId);
    await system.consumerRedis.start();
    await load.waitForMoreAcks(100);

    // The producer's Redis.
    await system.redis.stop();
    const downAt = load.now();
    await waitFor(() => load.between(downAt).length >= 20, {
      timeoutMs: 20_000,
      description: '20 mutations answered while the producer’s Redis is down',
    });
    const producerReady = await probe(`${system.producer.url}/producer-svc/ready`);
    const upAt = load.now();
    await system.redis.start();
    await load.waitForMoreAcks(150, 45_000);

    const outage = load.between(downAt, upAt);
    await finishAndExpectNothingLost('Redis restart', system, load, {
      heldBatches: await heldBatches(),
      refusedWhileDown: outage.length,
      slowestRefusalMs: Math.round(Math.max(...outage.map((r) => r.ms))),
      failures: failuresByOutcome(load),
    });

    expect(consumerReady.status).toBe(503);
    expect(committedBeforeRestart).toBe(committedWhileDown);
    // Every mutation sent while the producer's Redis was down was refused as unavailable, fast.
    expect(outage.length).toBeGreaterThanOrEqual(20);
    expect(new Set(outage.map((r) => r.outcome))).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    expect(Math.max(...outage.map((r) => r.ms))).toBeLessThan(3_000);
    expect(producerReady.status).toBe(503);
    expect(JSON.parse(producerReady.body)).toMatchObject({ down: ['redis', 'redis-creations'] });
    // Neither service crashed on the lost connections.
    expect(system.producer.alive() && consumer.alive()).toBe(true);
  }, 150_000);
});
