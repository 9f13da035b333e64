import { startTcpProxy } from '@kafka-ecs/testing';
import { scrapeCounter, startSystem } from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

describe('consumer crash', () => {
  it('when one of three consumer instances is SIGKILLed mid-batch under a steady stream and started again, then every event is applied once', async () => {
    const system = await startSystem(scope, { consumers: 2 });
    // The third instance reaches Redis through a proxy that can hold Redis' answers back: the
    // kill then lands after Redis applied a batch and before the instance could commit it.
    const redisPort = Number(new URL(system.redis.url).port);
    const proxy = scope.add(
      await startTcpProxy({ target: { host: '127.0.0.1', port: redisPort } }),
      (p) => p.close(),
    );
    const victim = await system.addConsumer({ REDIS_URL: `redis://${proxy.address}` });
    const survivors = system.consumers.filter((consumer) => consumer !== victim);
    await system.waitForAssignment();

    const load = system.startLoad({ ratePerSecond: 60, maxMutations: 2_500 });
    await load.waitForMoreAcks(250);
    // Redis has run (part of) a batch's scripts; the instance has not heard back, so has not
    // committed its offsets. The marker is a user key of its view, which only a batch's script
    // names here ('evalsha' alone also matched BullMQ's idle polls: a kill with no batch held).
    await proxy.holdAnswersAfter(`${victim.env.VIEW_KEY_PREFIX}:v1:user:`);
    await victim.signal('SIGKILL');
    proxy.release();

    await load.waitForMoreAcks(200);
    // The survivors take the dead member's partitions once its session (6 s) expires, and
    // re-read what it had applied without committing.
    await system.waitForAssignment(survivors);
    await victim.restart();
    await system.waitForAssignment();
    await load.waitForMoreAcks(200);

    const redelivered = (
      await Promise.all(
        system.consumers.map((consumer) =>
          scrapeCounter(consumer.metricsUrl, 'consumer_events_duplicate_total'),
        ),
      )
    ).reduce((sum, value) => sum + value, 0);
    await finishAndExpectNothingLost('consumer crash', system, load, {
      redelivered,
    });
    // The kill did land mid-batch: events it had applied came again, and changed nothing twice.
    expect(redelivered).toBeGreaterThan(0);
    expect(system.consumers.every((consumer) => consumer.alive())).toBe(true);
  }, 150_000);
});
