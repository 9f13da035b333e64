import { waitFor } from '@kafka-ecs/testing';
import { failuresByOutcome, type ServiceHandle, scrapeCounter, startSystem } from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

/** The shutdown steps a service logged (debug level), in order. */
const stepsOf = (service: ServiceHandle) =>
  service
    .current()
    .output.filter((line) => line.includes('shutdown step done'))
    .map((line) => (JSON.parse(line) as { step: string }).step);

describe('SIGTERM under load', () => {
  it('when the producer and then a consumer get SIGTERM under load, then each drains and exits 0 in order, no mutation is answered success without its event, and no batch is half-committed', async () => {
    const system = await startSystem(scope, {
      consumers: 2,
      // A dearer password hash keeps each mutation in flight for a few ms more.
      producerEnv: { LOG_LEVEL: 'debug', SCRYPT_COST: '8192' },
      consumerEnv: { LOG_LEVEL: 'debug' },
    });
    await system.waitForAssignment();
    const load = system.startLoad({ ratePerSecond: 80, concurrency: 16, maxMutations: 3_000 });
    await load.waitForMoreAcks(200);

    // The producer: in-flight mutations finish, new ones are refused, the publisher flushes.
    await waitFor(() => load.inFlight() >= 3, {
      intervalMs: 1,
      description: 'three mutations in flight',
    });
    const producerTermAt = load.now();
    const producerStopping = performance.now();
    const producerExit = await system.producer.stop();
    const producerStopMs = performance.now() - producerStopping;
    const producerSteps = stepsOf(system.producer);
    const inFlight = load.ledger.records.filter(
      (r) => r.startedAt < producerTermAt && r.startedAt + r.ms > producerTermAt,
    );
    await system.producer.restart();
    await load.waitForMoreAcks(150);

    // A consumer: it finishes its batch and commits before leaving the group, so the instance
    // that takes its partitions re-reads nothing.
    const [leaving, staying] = system.consumers;
    if (!leaving || !staying) throw new Error('two consumers expected');
    const duplicates = () => scrapeCounter(staying.metricsUrl, 'consumer_events_duplicate_total');
    const duplicatesBefore = await duplicates();
    const consumerStopping = performance.now();
    const consumerExit = await leaving.stop();
    const consumerStopMs = performance.now() - consumerStopping;
    const consumerSteps = stepsOf(leaving);
    await system.waitForAssignment([staying]);
    await load.waitForMoreAcks(150);
    const redelivered = (await duplicates()) - duplicatesBefore;
    await leaving.restart();

    // Every success answered during the drain has its event on the topic (part of lost = 0).
    await finishAndExpectNothingLost('SIGTERM drain', system, load, {
      inFlightAtProducerSigterm: inFlight.length,
      answeredSuccessDuringDrain: inFlight.filter((r) => r.outcome === 'acknowledged').length,
      producerStopMs: Math.round(producerStopMs),
      consumerStopMs: Math.round(consumerStopMs),
      redeliveredAfterConsumerSigterm: redelivered,
      failures: failuresByOutcome(load),
    });
    expect(inFlight.length).toBeGreaterThan(0);
    expect(producerExit).toBe(0);
    expect(producerSteps).toEqual(['http', 'kafka', 'redis']);
    expect(producerStopMs).toBeLessThan(10_000);
    expect(consumerExit).toBe(0);
    expect(consumerSteps.slice(0, 2)).toEqual(['http', 'kafka consumer']);
    expect(consumerSteps.at(-1)).toBe('redis');
    expect(consumerStopMs).toBeLessThan(10_000);
    expect(redelivered).toBe(0);
  }, 180_000);
});
