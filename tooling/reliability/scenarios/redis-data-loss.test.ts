import { allZero, scrapeMetrics, waitFor } from '@kafka-ecs/testing';
import {
  finishScenario,
  type Load,
  queryConsumer,
  runConsumerCommand,
  type ServiceHandle,
  scrapeCounter,
  startSystem,
} from '../src/index.ts';
import { useScope } from './support/scenario.ts';

const scope = useScope();

/**
 * Every tenth user's `new-user-created` always fails: three attempts 4 s apart, then its dead
 * letter. So at any moment some forty retries wait in Redis.
 */
const RETRIES = {
  RETRY_MAX_ATTEMPTS: '3',
  RETRY_BACKOFF_MS: '4000',
  RETRY_BACKOFF_FACTOR: '1',
  RETRY_BACKOFF_MAX_MS: '4000',
  FAULT_INJECT_USERNAME_PATTERN: '^doomed-',
  FAULT_INJECT_FAILURES: 'always',
};

async function failurePath(consumer: ServiceHandle) {
  const data = await queryConsumer<{
    retryStats: { pending: number };
    deadLetters: { totalCount: number };
  }>(consumer, '{ retryStats { pending } deadLetters(first: 1) { totalCount } }');
  return { pending: data.retryStats.pending, listed: data.deadLetters.totalCount };
}

const doomedAcknowledged = (load: Load) =>
  [...load.ledger.users.values()].filter((user) => user.username.startsWith('doomed-')).length;

describe('Redis loses its data', () => {
  it("when the consumer's Redis comes back empty with retries waiting, then the consumer marks its view lost, recover-failures and the rebuild bring back every retry, dead letter and user, and nothing is lost or applied twice", async () => {
    // The producer keeps its own Redis: only the consumer's loses its data.
    const system = await startSystem(scope, {
      consumers: 1,
      separateRedis: true,
      consumerEnv: RETRIES,
    });
    const { consumer } = system;
    await system.waitForAssignment();
    const load = system.startLoad({
      ratePerSecond: 50,
      maxMutations: 2_000,
      // Users only: a doomed user never has a profile in the view, so its tokens could not be
      // told applied or lost (the audit reads tokens through the profile).
      loginsPerUser: 0,
      username: (n) => `${n % 10 === 0 ? 'doomed' : 'steady'}-${process.pid}-${n}`,
    });
    await load.waitForMoreAcks(200);
    const atLoss = await waitFor(
      async () => {
        const figures = await failurePath(consumer);
        return figures.pending >= 5 && figures.listed >= 1 ? figures : false;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: 'retries waiting and a dead letter listed',
      },
    );

    // Stopped and started again without its data, under load.
    await system.consumerRedis.stop();
    await system.consumerRedis.start({ empty: true });
    const viewLost = () => scrapeCounter(consumer.metricsUrl, 'consumer_view_lost');
    await waitFor(async () => (await viewLost()) === 1, {
      timeoutMs: 30_000,
      description: 'the consumer marking its view lost',
    });
    await load.waitForMoreAcks(200);

    // Each bounded below runCommand's 75 s, so a stuck one fails with its own output.
    const bound = ['--timeout-minutes', '1'];
    const recovered = await runConsumerCommand(consumer, 'recover-failures-cli.ts', bound);
    expect({ code: recovered.code, stderr: recovered.stderr }).toEqual({ code: 0, stderr: '' });
    // The doomed users' records fail in the rebuild too: left to the failure path.
    const rebuilt = await runConsumerCommand(consumer, 'cli.ts', [
      '--drop-previous',
      '--skip-failing',
      ...bound,
    ]);
    expect({ code: rebuilt.code, stderr: rebuilt.stderr }).toEqual({ code: 0, stderr: '' });
    await waitFor(async () => (await viewLost()) === 0, {
      timeoutMs: 15_000,
      description: 'the rebuilt view live',
    });

    // Every doomed user's chain ends in one dead letter, the ones that waited at the loss too.
    await load.stop();
    const doomed = doomedAcknowledged(load);
    // Idle too: no retry record or dead letter left unread on its topic (`doomed` counts only
    // the acknowledged ones, and the index is compared with the topic below).
    const failurePathIdle = async () =>
      allZero(await scrapeMetrics(consumer.metricsUrl), 'consumer_retry_lag');
    await waitFor(
      async () => {
        const figures = await failurePath(consumer);
        return figures.pending === 0 && figures.listed >= doomed && (await failurePathIdle());
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'every doomed user dead-lettered' },
    );
    const end = await failurePath(consumer);
    const lastLine = (stdout: string, msg: string) =>
      JSON.parse(stdout.split('\n').find((line) => line.includes(msg)) ?? '{}');
    const counts = lastLine(recovered.stdout, 'failure path recovered') as Record<string, number>;
    const { skipped } = lastLine(rebuilt.stdout, ' is live (was ') as {
      skipped?: { keptFailing: number };
    };
    const figures = await finishScenario('Redis data loss', system, load, {
      pendingAtLoss: atLoss.pending,
      listedAtLoss: atLoss.listed,
      rescheduled: counts.rescheduled ?? -1,
      deadLettersRead: counts.deadLettersRead ?? -1,
      skippedByRebuild: skipped?.keptFailing ?? -1,
      doomed,
    });

    // Every published user is in the rebuilt view or, doomed, dead-lettered once (counted from
    // the topics: a doomed user whose answer was lost still has its event).
    expect({
      lost: figures.lost,
      appliedTwice: figures.appliedTwice,
      evidence: figures.evidence.slice(0, 10),
    }).toEqual({ lost: 0, appliedTwice: 0, evidence: [] });
    expect(figures.applied + figures.deadLettered).toBe(figures.published);
    // Retries were waiting when Redis lost them, and the recovery scheduled them again.
    expect(atLoss.pending).toBeGreaterThanOrEqual(5);
    expect(counts.rescheduled).toBeGreaterThan(0);
    expect(counts.deadLettersRead).toBeGreaterThanOrEqual(atLoss.listed);
    // The index lists what the topic holds: none lost with its retry, none written twice.
    expect(end.listed).toBe(figures.deadLettered);
    expect(figures.deadLettered).toBeGreaterThanOrEqual(doomed);
    // The rebuild left out only doomed users' records, which the failure path holds.
    expect(skipped?.keptFailing).toBeGreaterThan(0);
    expect(skipped?.keptFailing).toBeLessThanOrEqual(figures.deadLettered);
    expect(consumer.alive()).toBe(true);
  }, 240_000);
});
