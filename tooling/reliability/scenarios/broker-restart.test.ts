import { waitFor } from '@kafka-ecs/testing';
import {
  committedOffsets,
  failuresByOutcome,
  probe,
  publishedRecords,
  scrapeCounter,
  startSystem,
} from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

const PUBLISH_TIMEOUT_MS = 3_000;

describe('broker restart', () => {
  it('when the broker is killed and restarted under load, then mutations fail fast while it is down and succeed after, and the consumer resumes from its committed offsets', async () => {
    const system = await startSystem(scope, {
      consumers: 1,
      producerEnv: { PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS) },
    });
    const { consumer } = system;
    await system.waitForAssignment();
    const duplicates = () => scrapeCounter(consumer.metricsUrl, 'consumer_events_duplicate_total');
    const load = system.startLoad({ ratePerSecond: 50, maxMutations: 2_000 });
    await load.waitForMoreAcks(250);

    // Where the consumer stands just before the kill: what it committed, what was written.
    const committedAtKill = await committedOffsets(system.kafka.brokers, system.groupId);
    const publishedAtKill = await publishedRecords(system.kafka.brokers);
    const duplicatesBefore = await duplicates();
    await system.kafka.cluster.kill(1);
    const downAt = load.now();
    await waitFor(
      () => load.between(downAt).filter((r) => r.outcome !== 'acknowledged').length >= 10,
      {
        timeoutMs: 30_000,
        description: '10 mutations refused while the broker is down',
      },
    );
    const producerReady = await probe(`${system.producer.url}/producer-svc/ready`);
    const upAt = load.now();
    await system.kafka.cluster.restart(1);

    await load.waitForMoreAcks(250, 60_000);
    const outage = load.between(downAt, upAt);
    const redelivered = (await duplicates()) - duplicatesBefore;
    await finishAndExpectNothingLost('broker restart', system, load, {
      refusedWhileDown: outage.length,
      slowestRefusalMs: Math.round(Math.max(...outage.map((r) => r.ms))),
      committedAtKill,
      redelivered,
      failures: failuresByOutcome(load),
    });

    expect(outage.length).toBeGreaterThanOrEqual(10);
    expect(new Set(outage.map((r) => r.outcome))).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    // Fail fast: within the publish bound (plus the request's own overhead), never a hang.
    expect(Math.max(...outage.map((r) => r.ms))).toBeLessThan(PUBLISH_TIMEOUT_MS + 1_500);
    expect(producerReady.status).toBe(503);
    expect(JSON.parse(producerReady.body)).toMatchObject({ down: ['kafka-producer'] });
    // Resumed from its committed offsets: only what it had not committed at the kill (plus
    // what was written in the instant between measuring and killing) came again, far less
    // than re-reading from the start would.
    expect(committedAtKill).toBeGreaterThan(100);
    expect(redelivered).toBeLessThanOrEqual(publishedAtKill - committedAtKill + 50);
    expect(system.producer.alive() && consumer.alive()).toBe(true);
  }, 180_000);
});
