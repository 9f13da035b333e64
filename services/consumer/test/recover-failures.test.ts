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
/** One retry, due 15 s after the failure: long enough to lose it before it runs. */
const POLICY = { maxAttempts: 3, backoffMs: 15_000, factor: 1, maxBackoffMs: 15_000 };
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

describe('recovering the failure path after Redis lost it', () => {
  it('when Redis lost the waiting retries and the dead-letter index, then recover-failures schedules again the retries since the loss and lists the dead letters again', async () => {
    const iso = await createIsolation();
    const service = await startTestConsumer(iso, {
      handlers: failingHandlers(1),
      retryPolicy: POLICY,
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
      // A failure whose retry had run before the loss (as far as anyone can tell from Kafka)...
      const before = userCreated({ username: 'doomed-before' });
      await publish(producer, iso, [before]);
      await waitFor(async () => (await retryStats())?.pending === 1, {
        description: 'the first retry waiting',
      });
      const since = new Date();
      // ... then, from `since` on, one waiting and one dead letter.
      const after = userCreated({ username: 'doomed-after' });
      await publish(producer, iso, [after]);
      const malformed = await producer.send(iso.userTopic, [{ key: 'k', value: '{"not json' }]);
      await waitFor(async () => (await retryStats())?.pending === 2, {
        description: 'both retries waiting',
      });
      await waitFor(async () => (await deadLetterIds())?.length === 1, {
        description: 'the dead letter listed',
      });

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
      expect(lines.find((line) => line.msg === 'failure path recovered')).toMatchObject({
        rescheduled: 1,
        skipped: 1,
        deadLetters: 1,
      });

      expect(await deadLetterIds()).toEqual([
        `${iso.userTopic}:${malformed.partition}:${malformed.offset}`,
      ]);
      await waitFor(() => viewedUser(service.url, after.data.id), {
        timeoutMs: 40_000,
        description: 'the retry of the failure after `since`, run when due',
      });
      // The earlier failure's job would have been due first: not scheduled, so not run.
      expect(await viewedUser(service.url, before.data.id)).toBeNull();
      expect(await retryStats()).toEqual({ pending: 0, scheduled: 1, deadLettered: 1 });
    } finally {
      await producer.close();
      await service.close();
      redis.disconnect();
    }
  });

  it('when the view is not marked lost and no --since is given, or --since is not a time, then the command refuses with its usage and changes nothing', async () => {
    const iso = await createIsolation();
    const unmarked = await recoverFailures(iso);
    expect(unmarked.code).toBe(2);
    expect(unmarked.stderr).toMatch(/the view is not marked lost .*: give --since\n\nusage:/);
    const bogus = await recoverFailures(iso, ['--since', 'yesterday-ish']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^--since is not a time: yesterday-ish\n\nusage:/);
  });
});
