import { FailureHeaders as H } from '@kafka-ecs/events';
import { RETRY_STEPS } from '@kafka-ecs/retry';
import {
  allZero,
  connectRawProducer,
  createTestTopics,
  followTopic,
  type RawProducer,
  type ServiceProcess,
  scrapeMetrics,
  startServiceProcess,
  waitFor,
} from '@kafka-ecs/testing';
import {
  graphql,
  isolation,
  processEnv,
  publish,
  userCreated,
  viewedUser,
} from './support/harness.ts';

const cwd = `${import.meta.dirname}/..`;
/** Three attempts 200 and 400 ms apart; a crashed instance's job is taken over after 2 s. */
const FAST = {
  RETRY_MAX_ATTEMPTS: '3',
  RETRY_BACKOFF_MS: '200',
  RETRY_BACKOFF_FACTOR: '2',
  RETRY_BACKOFF_MAX_MS: '1000',
  RETRY_JOB_LOCK_MS: '2000',
  CONSUMER_SESSION_TIMEOUT_MS: '6000',
  FAULT_INJECT_USERNAME_PATTERN: '^doomed',
};

describe('crash safety of the failure path', () => {
  let producer: RawProducer;
  beforeAll(async () => {
    producer = await connectRawProducer();
  });
  afterAll(async () => {
    await producer.close();
  });

  // Side by side (jest's maxConcurrency, 3 in this package): each step has topics, a group and
  // keys of its own, and mostly waits (a killed member's session, the retry delays). One after
  // the other the six took 80-90 s of every run of the suite.
  it.concurrent.each(RETRY_STEPS)(
    'when the consumer is SIGKILLed at %s and started again, then the failure chain ends in exactly one dead letter and nothing else is lost',
    async (step) => {
      const processes: ServiceProcess[] = [];
      const iso = isolation();
      await createTestTopics([iso.userTopic, iso.tokenTopic, iso.retryTopic, iso.deadLetterTopic]);
      const env = { ...processEnv(iso), ...FAST };
      const deadLetters = await followTopic(iso.deadLetterTopic);
      try {
        const first = await startServiceProcess({
          cwd,
          env: { ...env, FAULT_INJECT_CRASH_AT: step },
        });
        processes.push(first);
        const doomed = userCreated({ username: 'doomed-crash' });
        const steady = userCreated({ username: 'steady-crash' });
        await publish(producer, iso, [doomed, steady]);
        await waitFor(() => first.child.signalCode === 'SIGKILL', {
          timeoutMs: 30_000,
          description: `the consumer killing itself at ${step}`,
        });

        const second = await startServiceProcess({ cwd, env });
        processes.push(second);
        const ofDoomed = () =>
          deadLetters.records.filter((record) => record.key === doomed.data.id);
        await waitFor(() => ofDoomed().length >= 1, {
          timeoutMs: 90_000,
          description: 'the dead letter of the failing record',
        });
        // Quiet: nothing pending, the side topic and dead letters consumed; a duplicate would
        // have been written by now.
        await waitFor(
          async () => {
            const metrics = await scrapeMetrics(second.metricsUrl);
            const stats = await graphql<{ retryStats: { pending: number } }>(
              second.url,
              '{ retryStats { pending } }',
            );
            return stats.data?.retryStats.pending === 0 && allZero(metrics, 'consumer_retry_lag');
          },
          { timeoutMs: 30_000, description: 'the failure path to be idle' },
        );

        // Counted by the service's indexer once it has read the whole dead-letter topic (its lag
        // is 0 above): a second dead letter would count twice, whatever this reader has seen.
        const stats = await graphql<{ retryStats: { deadLettered: number } }>(
          second.url,
          '{ retryStats { deadLettered } }',
        );
        expect(stats.data?.retryStats.deadLettered).toBe(1);
        expect(ofDoomed()).toHaveLength(1);
        expect(ofDoomed()[0]?.headers).toMatchObject({
          [H.attempt]: '3',
          [H.deadLetterReason]: 'exhausted',
        });
        // The idle wait above covers the failure path's groups, not the main one.
        await waitFor(async () => Boolean(await viewedUser(second.url, steady.data.id)), {
          description: 'the steady user applied by the main group',
        });
        expect(await viewedUser(second.url, steady.data.id)).toEqual({ username: 'steady-crash' });
      } finally {
        await Promise.all(processes.map((service) => service.stop()));
        await deadLetters.stop();
      }
    },
    150_000,
  );
});
