import { waitFor } from '@kafka-ecs/testing';
import { createProgress, failuresByOutcome, leadersByNode, startSystem } from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

describe('broker loss in a three-broker cluster', () => {
  it('when the broker leading the most partitions is SIGKILLed under load, then every acknowledged event is applied', async () => {
    // Replication factor 3, min.insync.replicas 2: one broker may go without losing a write.
    const step = createProgress('broker loss');
    const system = await startSystem(scope, { brokers: 3, consumers: 2 });
    await system.waitForAssignment();
    step('consumers assigned');
    const load = system.startLoad({ ratePerSecond: 50, maxMutations: 2_500 });
    await load.waitForMoreAcks(200);

    const leaders = await leadersByNode(system.kafka.brokers);
    const [victim, led] = [...leaders].sort((a, b) => b[1] - a[1])[0] ?? [1, 0];
    step(`200 acknowledged; killing node ${victim}`);
    await system.kafka.cluster.kill(victim);
    const killedAt = load.now();
    // Leadership moves to the in-sync followers; writes go on with two replicas. Counted as the
    // assertion below counts them: mutations sent after the kill (waitForMoreAcks would also
    // count those sent before it and answered after, and fell one short of 300 twice).
    const acknowledgedSince = (from: number) =>
      load.between(from).filter((r) => r.outcome === 'acknowledged').length;
    await waitFor(() => acknowledgedSince(killedAt) >= 300, {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: '300 mutations sent after the kill acknowledged',
    });
    step('300 more acknowledged');
    const afterKill = load.between(killedAt);

    await finishAndExpectNothingLost('broker loss', system, load, {
      killedAtMs: Math.round(killedAt),
      killedNode: victim,
      partitionsItLed: led,
      refusedAfterKill: afterKill.filter((r) => r.outcome !== 'acknowledged').length,
      failures: failuresByOutcome(load),
    });
    expect(led).toBeGreaterThan(0);
    expect(afterKill.filter((r) => r.outcome === 'acknowledged').length).toBeGreaterThanOrEqual(
      300,
    );
    expect(system.producer.alive() && system.consumers.every((c) => c.alive())).toBe(true);
  }, 180_000);
});
