import { encodeEvent } from '@kafka-ecs/events';
import { continueChain, startChain, toRetryRecord } from '@kafka-ecs/retry';
import { connectRawProducer, deleteKeys, runCommand, waitFor } from '@kafka-ecs/testing';
import { createViewRegistry } from '../src/infra/view-registry.ts';
import {
  createIsolation,
  failingHandlers,
  graphql,
  type Isolation,
  newRedis,
  processEnv,
  publish,
  startTestConsumer,
  userCreated,
  viewedUser,
} from './support/harness.ts';

const cwd = `${import.meta.dirname}/..`;
/** The live consumer's: a retry due 2 minutes after its failure, so none runs before the loss. */
const LIVE_POLICY = { maxAttempts: 3, backoffMs: 120_000, factor: 1, maxBackoffMs: 120_000 };
/** The command's: same attempts, a delay of 1 s, so what it schedules is due at once. */
const POLICY = { maxAttempts: 3, backoffMs: 1_000, factor: 1, maxBackoffMs: 1_000 };
/** The command's margin for jobs a worker had not reached yet (recover-failures-cli.ts). */
const BACKLOG_MARGIN_MS = 15 * 60 * 1000;

/** The operator command, from sources, against `iso`'s topics, group and keys. */
const recoverFailures = (iso: Isolation, args: string[] = []) =>
  runCommand(
    process.execPath,
    ['--conditions=kafka-ecs-source', 'src/rebuild/recover-failures-cli.ts', ...args],
    {
      cwd,
      timeoutMs: 90_000,
      env: {
        ...process.env,
        ...processEnv(iso),
        NODE_OPTIONS: '',
        LOG_LEVEL: 'info',
        RETRY_MAX_ATTEMPTS: String(POLICY.maxAttempts),
        RETRY_BACKOFF_MS: String(POLICY.backoffMs),
        RETRY_BACKOFF_FACTOR: String(POLICY.factor),
        RETRY_BACKOFF_MAX_MS: String(POLICY.maxBackoffMs),
      },
    },
  );

/** Everything the failure path of `groupId` keeps in Redis: what an empty Redis has lost. */
async function loseFailurePathState(redis: ReturnType<typeof newRedis>, groupId: string) {
  for (const pattern of [
    `*retry:${groupId}:*`,
    `*dead-letters:${groupId}*`,
    `*retry-${groupId}*`,
  ]) {
    await deleteKeys(redis, pattern);
  }
}

/**
 * The retry records a chain of `event` leaves on the side topic after `attempts` failures, as
 * the consumer writes them (its original record at `offset` of partition 0), failing now.
 */
function failures(
  iso: Isolation,
  event: ReturnType<typeof userCreated>,
  offset: number,
  attempts: number,
) {
  const original = {
    topic: iso.userTopic,
    partition: 0,
    offset: String(offset),
    key: Buffer.from(event.data.id),
    value: encodeEvent(event),
    headers: { 'event-type': event.type, 'event-id': event.id },
  };
  const failure = { error: new Error('injected'), retriable: true };
  let chain = startChain(original, failure, iso.groupId, new Date());
  const records = [toRetryRecord(chain, iso.retryTopic)];
  while (chain.attempt < attempts) {
    chain = continueChain(chain, failure, new Date());
    records.push(toRetryRecord(chain, iso.retryTopic));
  }
  return records.map(({ key, value, headers }) => ({ key, value, headers }));
}

describe('recovering the failure path after Redis lost it', () => {
  it('when Redis lost the waiting retries and the dead-letter index, then recover-failures schedules again the retries since the loss and lists the dead letters again', async () => {
    const iso = await createIsolation();
    const service = await startTestConsumer(iso, {
      handlers: failingHandlers(1),
      retryPolicy: LIVE_POLICY,
    });
    const producer = await connectRawProducer();
    const redis = newRedis();
    const retryStats = async () =>
      (
        await graphql<{ retryStats: Record<string, number> }>(
          service.url,
          '{ retryStats { pending scheduled deadLettered } }',
        )
      ).data?.retryStats;
    const deadLetterIds = async () =>
      (
        await graphql<{ deadLetters: { nodes: { id: string }[] } }>(
          service.url,
          '{ deadLetters(first: 10) { nodes { id } } }',
        )
      ).data?.deadLetters.nodes.map((node) => node.id);
    try {
      // A failure whose retry ran before the loss, as far as Kafka can tell (before `since`)...
      const before = userCreated({ username: 'doomed-before' });
      await publish(producer, iso, [before]);
      await waitFor(async () => (await retryStats())?.pending === 1, {
        description: 'the first retry waiting',
      });
      const since = new Date();
      // ... then one waiting, and one dead letter.
      const after = userCreated({ username: 'doomed-after' });
      await publish(producer, iso, [after]);
      const malformed = await producer.send(iso.userTopic, [{ key: 'k', value: '{"not json' }]);
      // And two chains further on, as the side topic holds them: one that ended in its dead
      // letter at its third attempt, one waiting after its second.
      const ended = userCreated({ username: 'doomed-ended' });
      const waiting = userCreated({ username: 'doomed-waiting' });
      await producer.send(iso.retryTopic, [
        ...failures(iso, ended, 1000, 3),
        ...failures(iso, waiting, 1001, 2),
      ]);
      // All handled before the loss: the jobs of before, after, ended's first two failures and
      // waiting's two wait; the malformed record and ended are dead letters.
      await waitFor(async () => (await retryStats())?.pending === 6, {
        description: 'six retries waiting',
      });
      await waitFor(async () => (await deadLetterIds())?.length === 2, {
        description: 'the two dead letters listed',
      });
      const deadLettersBefore = (await deadLetterIds())?.sort();
      expect(deadLettersBefore).toEqual(
        [
          `${iso.userTopic}:${malformed.partition}:${malformed.offset}`,
          `${iso.userTopic}:0:1000`,
        ].sort(),
      );

      await loseFailurePathState(redis, iso.groupId);
      expect(await retryStats()).toEqual({ pending: 0, scheduled: 0, deadLettered: 0 });
      expect(await deadLetterIds()).toEqual([]);
      // The consumer found the view lost then (its log and alarm tell the operator when); the
      // command's default start is that, less the longest retry delay and its backlog margin.
      const lostAt = new Date(since.getTime() + POLICY.maxBackoffMs + BACKLOG_MARGIN_MS);
      await createViewRegistry({ redis, prefix: iso.viewPrefix }).markLost(lostAt);

      const result = await recoverFailures(iso);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const lines = result.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.find((line) => line.msg === 'recovering the failure path')).toMatchObject({
        since: since.toISOString(),
      });
      // Six failures since `since`; a job for each chain's latest that is not its last.
      expect(lines.find((line) => line.msg === 'failure path recovered')).toMatchObject({
        failuresRead: 6,
        rescheduled: 2,
        deadLettersRead: 2,
      });

      expect((await deadLetterIds())?.sort()).toEqual(deadLettersBefore);
      for (const user of [after, waiting]) {
        await waitFor(() => viewedUser(service.url, user.data.id), {
          timeoutMs: 30_000,
          description: `${user.data.username}'s retry, run once due`,
        });
      }
      await waitFor(async () => (await retryStats())?.pending === 0, {
        description: 'no retry left waiting',
      });
      // The failure before `since` and the chain that had ended got no job; nothing was
      // dead-lettered twice; only the two jobs ran.
      expect(await viewedUser(service.url, before.data.id)).toBeNull();
      expect(await viewedUser(service.url, ended.data.id)).toBeNull();
      expect((await deadLetterIds())?.sort()).toEqual(deadLettersBefore);
      expect(await retryStats()).toEqual({ pending: 0, scheduled: 2, deadLettered: 2 });
    } finally {
      await producer.close();
      await service.close();
      redis.disconnect();
    }
  }, 120_000);

  it('when the view is not marked lost and no --since is given, or an argument is wrong, then the command refuses with its usage and exit 2', async () => {
    const iso = await createIsolation();
    const unmarked = await recoverFailures(iso);
    expect(unmarked.code).toBe(2);
    expect(unmarked.stderr).toMatch(/the view is not marked lost .*: give --since\n\nusage:/);
    const bogus = await recoverFailures(iso, ['--since', 'yesterday-ish']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^--since is not a time: yesterday-ish\n\nusage:/);
    const unknown = await recoverFailures(iso, ['--sinse', '2026-12-06T00:00:00Z']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--sinse'.*\n\nusage:/s);
    const noTime = await recoverFailures(iso, ['--timeout-minutes', '0']);
    expect(noTime.code).toBe(2);
    expect(noTime.stderr).toMatch(/^--timeout-minutes must be a positive number\n\nusage:/);
  }, 60_000);
});
