import { waitFor } from '@kafka-ecs/testing';
import {
  type Load,
  queryConsumer,
  readView,
  type ServiceHandle,
  startSystem,
} from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

/**
 * Every fifth user's `new-user-created` fails twice and applies on its third attempt (of five):
 * retries 300 and 600 ms apart, so there are always some pending under the load. A crashed
 * instance's retry job is run by another after 2 s.
 */
const RETRIES = {
  RETRY_MAX_ATTEMPTS: '5',
  RETRY_BACKOFF_MS: '300',
  RETRY_BACKOFF_FACTOR: '2',
  RETRY_BACKOFF_MAX_MS: '2000',
  RETRY_JOB_LOCK_MS: '2000',
  FAULT_INJECT_USERNAME_PATTERN: '^flaky-',
  FAULT_INJECT_FAILURES: '2',
};

interface RetryStats {
  scheduled: number;
  retried: number;
  succeeded: number;
  deadLettered: number;
  pending: number;
  failedJobs: number;
}

const retryStats = async (consumer: ServiceHandle): Promise<RetryStats> =>
  (
    await queryConsumer<{ retryStats: RetryStats }>(
      consumer,
      '{ retryStats { scheduled retried succeeded deadLettered pending failedJobs } }',
    )
  ).retryStats;

/**
 * The group having committed its offsets says nothing of the retries it handed on: wait
 * (bounded) until the view shows every acknowledged user and then, read after it, no retry is
 * pending and every flaky user's retry has counted its success (a job counts it after its
 * write, and between two attempts a retry is on the side topic, not pending). Resolves to that
 * last read.
 */
async function waitForRetriesDone(
  reader: ServiceHandle,
  load: Load,
  flakyAcknowledged: () => number,
): Promise<RetryStats> {
  await load.stop();
  let stats: RetryStats | undefined;
  await waitFor(
    async () => {
      const view = await readView(reader.url, load.ledger.users.keys());
      if (![...load.ledger.users.keys()].every((id) => view.has(id))) return false;
      stats = await retryStats(reader);
      return stats.pending === 0 && stats.succeeded >= flakyAcknowledged();
    },
    { timeoutMs: 45_000, intervalMs: 500, description: 'every retry done and applied' },
  );
  return stats as RetryStats;
}

describe('crash during retry', () => {
  it('when the consumer is SIGKILLed while retries are pending, and kills itself inside a retry job, then every failing event still applies once and none is dead-lettered', async () => {
    const system = await startSystem(scope, { consumers: 2, consumerEnv: RETRIES });
    const [victim, survivor] = system.consumers;
    if (!victim || !survivor) throw new Error('two consumers expected');
    await system.waitForAssignment();
    let flakyUsers = 0;
    const load = system.startLoad({
      ratePerSecond: 60,
      maxMutations: 2_500,
      username: (n) => {
        if (n % 5 !== 0) return `steady-${process.pid}-${n}`;
        flakyUsers += 1;
        return `flaky-${process.pid}-${n}`;
      },
    });
    await load.waitForMoreAcks(150);

    // 1. SIGKILL while retries wait for their delay (or run): the jobs are in Redis, the
    // survivor runs them, the ones the victim held once their lock expires.
    const pendingAtKill = await waitFor(
      async () => {
        const { pending } = await retryStats(survivor);
        return pending > 0 ? pending : false;
      },
      { timeoutMs: 20_000, intervalMs: 50, description: 'retries pending' },
    );
    await victim.signal('SIGKILL');
    await load.waitForMoreAcks(150);
    await victim.restart();
    await system.waitForAssignment();
    await load.waitForMoreAcks(100);

    // 2. An instance that kills itself inside the first retry job it runs (during-retry):
    // another instance runs the job again once its lock expires. Then a plain one replaces it.
    // It may die before it even answers (a job is waiting as its worker starts): then its
    // start fails with the log line of the kill.
    const killedInJob = (lines: string) =>
      lines.includes('FAULT_INJECT_CRASH_AT') && lines.includes('during-retry');
    let crashedInJob = false;
    const crasher = await system
      .addConsumer({ FAULT_INJECT_CRASH_AT: 'during-retry' })
      .catch((error: unknown) => {
        if (!killedInJob(String(error))) throw error;
        crashedInJob = true;
        return undefined;
      });
    if (crasher) {
      await waitFor(() => !crasher.alive(), {
        timeoutMs: 30_000,
        description: 'the during-retry instance killing itself in a retry job',
      });
      // 'exit' came; the output is whole once the process has closed its streams.
      await crasher.stop();
      crashedInJob = killedInJob(crasher.output().join('\n'));
    }
    await system.addConsumer();
    await system.waitForAssignment();
    await load.waitForMoreAcks(150);

    const flakyAcknowledged = () =>
      [...load.ledger.users.values()].filter((user) => user.username.startsWith('flaky-')).length;
    const stats = await waitForRetriesDone(survivor, load, flakyAcknowledged);
    const figures = await finishAndExpectNothingLost('crash during retry', system, load, {
      flakyUsers,
      pendingAtKill,
      crashedInJob: crashedInJob ? 'yes' : 'no',
      retriesScheduled: stats.scheduled,
      retried: stats.retried,
      retriesSucceeded: stats.succeeded,
    });
    expect(crashedInJob).toBe(true);
    expect(pendingAtKill).toBeGreaterThan(0);
    expect(figures.deadLettered).toBe(0);
    expect({ deadLettered: stats.deadLettered, pending: stats.pending }).toEqual({
      deadLettered: 0,
      pending: 0,
    });
    // Every failing user went through its retries and came out applied.
    expect(flakyUsers).toBeGreaterThan(0);
    expect(stats.succeeded).toBeGreaterThanOrEqual(flakyAcknowledged());
  }, 150_000);
});
