import {
  connectRawProducer,
  metricValue,
  type RawProducer,
  readTopic,
  scrapeMetrics,
  waitFor,
} from '@kafka-ecs/testing';
import type { EventHandlers } from '../src/domain/handlers/index.ts';
import {
  ADMIN_TOKEN,
  createIsolation,
  FAST_RETRIES,
  failingUntilReplay,
  graphql,
  type Isolation,
  OPERATOR_NAME,
  publish,
  startTestConsumer,
  type TestConsumer,
  userCreated,
  viewedUser,
} from './support/harness.ts';

interface AuditEntry {
  actor: string;
  action: string;
  deadLetterIds: string[];
  dryRun: boolean;
  outcome: string;
  reason: string | null;
}

const AUDIT = `query($first: Int, $after: String) { deadLetterAudit(first: $first, after: $after) {
  totalCount nodes { actor action deadLetterIds dryRun outcome reason } pageInfo { endCursor hasNextPage } } }`;

/**
 * The handlers of `failingUntilReplay`, counting the runs past the retries (replays) per user:
 * what single flight is about.
 */
function countingReplays() {
  const base = failingUntilReplay();
  const replayRuns = new Map<string, number>();
  const handlers: EventHandlers = {
    ...base,
    'new-user-created': (event, context) => {
      if (context.attempt > FAST_RETRIES.maxAttempts) {
        replayRuns.set(event.data.id, (replayRuns.get(event.data.id) ?? 0) + 1);
      }
      return base['new-user-created'](event, context);
    },
  };
  return { handlers, replayRuns };
}

describe('dead-letter operations over GraphQL', () => {
  let iso: Isolation;
  let producer: RawProducer;
  let service: TestConsumer;
  const counting = countingReplays();
  const users = ['a', 'b', 'c', 'd'].map((n) => userCreated({ username: `doomed-ops-${n}` }));
  let ids: string[] = [];

  const deadLetterIds = async () =>
    (
      await graphql<{ deadLetters: { nodes: { id: string }[] } }>(
        service.url,
        'query($t: String) { deadLetters(topic: $t, first: 100) { nodes { id } } }',
        { t: iso.userTopic },
      )
    ).data?.deadLetters.nodes.map((node) => node.id) ?? [];
  const audit = async (first = 20) =>
    (
      await graphql<{ deadLetterAudit: { totalCount: number; nodes: AuditEntry[] } }>(
        service.url,
        AUDIT,
        { first },
      )
    ).data?.deadLetterAudit;

  beforeAll(async () => {
    iso = await createIsolation();
    service = await startTestConsumer(iso, { handlers: counting.handlers });
    producer = await connectRawProducer();
    await publish(producer, iso, users);
    ids = await waitFor(
      async () => {
        const found = await deadLetterIds();
        return found.length === users.length && found;
      },
      { timeoutMs: 30_000, description: 'four dead letters' },
    );
  });

  afterAll(async () => {
    await producer?.close();
    await service?.close();
  });

  it('when four replays of one dead letter arrive at the same moment, then its handler runs once', async () => {
    const [id] = ids as [string];
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        graphql<{ replayDeadLetter: { outcome: string } }>(
          service.url,
          'mutation($id: ID!) { replayDeadLetter(id: $id) { outcome } }',
          { id },
        ),
      ),
    );
    const outcomes = answers.map((answer) => answer.data?.replayDeadLetter.outcome).sort();
    expect(outcomes.filter((outcome) => outcome === 'REPLAYED')).toHaveLength(1);
    for (const outcome of outcomes) {
      expect(['REPLAYED', 'IN_PROGRESS', 'ALREADY_REPLAYED']).toContain(outcome);
    }
    const runs = [...counting.replayRuns.values()];
    expect(runs).toEqual([1]);
    const entries = (await audit(4))?.nodes ?? [];
    expect(entries).toHaveLength(4);
    for (const entry of entries) {
      expect(entry).toMatchObject({ actor: OPERATOR_NAME, action: 'replay', deadLetterIds: [id] });
    }
  });

  it('when a bulk replay is asked without dryRun, then nothing is replayed, and the audit names the operator', async () => {
    const dry = await graphql<{ replayDeadLetters: Record<string, unknown> }>(
      service.url,
      'mutation($t: String) { replayDeadLetters(filter: { topic: $t }) { dryRun matched replayed failed skipped ids } }',
      { t: iso.userTopic },
      { token: ADMIN_TOKEN },
    );
    expect(dry.errors).toBeUndefined();
    expect(dry.data?.replayDeadLetters).toMatchObject({
      dryRun: true,
      matched: 3,
      replayed: 0,
      failed: 0,
    });
    expect(await deadLetterIds()).toHaveLength(3);
    const [entry] = (await audit(1))?.nodes ?? [];
    expect(entry).toMatchObject({
      actor: 'admin',
      action: 'bulk-replay',
      dryRun: true,
      outcome: 'dry run: matched 3, would replay 3',
    });
    expect(entry?.deadLetterIds).toHaveLength(3);
  });

  it('when bulk-replay input is wrong or the caller has no token, then it is refused with a clear error', async () => {
    const bulk = (args: string, token?: string | null) =>
      graphql(service.url, `mutation { replayDeadLetters(${args}) { matched } }`, {}, { token });
    const codeOf = async (args: string, token?: string | null) => {
      const { errors } = await bulk(args, token);
      return [errors?.[0]?.extensions?.code, errors?.[0]?.message];
    };
    expect(await codeOf('filter: {}, limit: 0')).toEqual([
      'BAD_USER_INPUT',
      'limit must be an integer from 1 to 500 (got 0)',
    ]);
    expect(await codeOf('filter: {}, ratePerSecond: 1000')).toEqual([
      'BAD_USER_INPUT',
      'ratePerSecond must be an integer from 1 to 100 (got 1000)',
    ]);
    expect(await codeOf('filter: { since: "yesterday" }')).toEqual([
      'BAD_USER_INPUT',
      'filter.since must be an ISO 8601 date-time',
    ]);
    expect(await codeOf('filter: { reason: "bored" }')).toEqual([
      'BAD_USER_INPUT',
      'filter.reason must be one of exhausted, non-retryable',
    ]);
    expect((await codeOf('filter: {}, dryRun: false', null))[0]).toBe('UNAUTHENTICATED');
    // The listing reads its filter the same way, bounds included.
    const listed = await graphql(
      service.url,
      'query($e: String) { deadLetters(errorContains: $e) { totalCount } }',
      { e: 'x'.repeat(1_001) },
    );
    expect([listed.errors?.[0]?.extensions?.code, listed.errors?.[0]?.message]).toEqual([
      'BAD_USER_INPUT',
      'errorContains must be at most 1000 characters',
    ]);
    expect(await deadLetterIds()).toHaveLength(3);
  });

  it('when one is discarded and the rest bulk-replayed, then the list empties, the discarded stays on the topic, the counters move, and the audit keeps both', async () => {
    const [discarded, ...rest] = (await deadLetterIds()) as [string, ...string[]];
    const discard = (reason: string) =>
      graphql<{ discardDeadLetter: boolean }>(
        service.url,
        'mutation($id: ID!, $reason: String!) { discardDeadLetter(id: $id, reason: $reason) }',
        { id: discarded, reason },
      );
    expect((await discard('  ')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await discard('payload from a broken producer')).data).toEqual({
      discardDeadLetter: true,
    });
    expect((await discard('again')).data).toEqual({ discardDeadLetter: false });

    const real = await graphql<{ replayDeadLetters: Record<string, unknown> }>(
      service.url,
      `mutation($t: String) { replayDeadLetters(filter: { topic: $t }, dryRun: false, ratePerSecond: 20)
        { dryRun matched replayed failed skipped ids } }`,
      { t: iso.userTopic },
    );
    expect(real.data?.replayDeadLetters).toEqual({
      dryRun: false,
      matched: 2,
      replayed: 2,
      failed: 0,
      skipped: 0,
      ids: rest,
    });
    expect(await deadLetterIds()).toEqual([]);
    // Three replayed users are in the view; the discarded one is not, but is still on the topic.
    let inView = 0;
    for (const user of users) if (await viewedUser(service.url, user.data.id)) inView += 1;
    expect(inView).toBe(3);
    const onTopic = await readTopic(iso.deadLetterTopic, users.length, { timeoutMs: 15_000 });
    const origins = onTopic.map(
      (record) =>
        `${record.headers['x-original-topic']}:${record.headers['x-original-partition']}:${record.headers['x-original-offset']}`,
    );
    expect(origins).toContain(discarded);

    // One single replay (the first test) and two bulk ones; one discard.
    const samples = await scrapeMetrics(service.metricsUrl);
    expect(
      metricValue(samples, 'consumer_dead_letter_replays_total', { outcome: 'replayed' }),
    ).toBe(3);
    expect(metricValue(samples, 'consumer_dead_letters_discarded_total')).toBe(1);

    const entries = (await audit(3))?.nodes ?? [];
    expect(entries.map((entry) => [entry.action, entry.outcome])).toEqual([
      ['bulk-replay', 'matched 2, replayed 2, failed 0, skipped 0'],
      ['discard', 'already discarded'],
      ['discard', 'discarded'],
    ]);
    expect(entries[2]).toMatchObject({
      actor: OPERATOR_NAME,
      deadLetterIds: [discarded],
      reason: 'payload from a broken producer',
    });
  });

  it('when the consumer stops during a bulk replay, then the operator is told how far it got, and the rest stay dead letters', async () => {
    // The test before emptied the list: every dead letter from here on is one of these.
    expect(await deadLetterIds()).toEqual([]);
    const later = ['e', 'f', 'g', 'h'].map((n) => userCreated({ username: `doomed-ops-${n}` }));
    await publish(producer, iso, later);
    await waitFor(async () => (await deadLetterIds()).length === later.length, {
      timeoutMs: 30_000,
      description: 'four more dead letters',
    });
    const replays = async () =>
      metricValue(await scrapeMetrics(service.metricsUrl), 'consumer_dead_letter_replays_total', {
        outcome: 'replayed',
      }) ?? 0;
    const before = await replays();
    // One a second: the stop comes after the first replay, seconds before the last.
    const answer = graphql<{ replayDeadLetters: unknown }>(
      service.url,
      `mutation($t: String) { replayDeadLetters(filter: { topic: $t }, dryRun: false, ratePerSecond: 1)
        { replayed } }`,
      { t: iso.userTopic },
      { timeoutMs: 15_000 },
    );
    await waitFor(async () => (await replays()) > before, {
      timeoutMs: 15_000,
      description: 'the first replay of the run',
    });
    let errors: Awaited<typeof answer>['errors'];
    try {
      [{ errors }] = await Promise.all([answer, service.close()]);
    } finally {
      // The tests after this one use the service.
      service = await startTestConsumer(iso, { handlers: counting.handlers });
    }
    const error = errors?.[0];
    expect(error?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const replayed = Number(error?.extensions?.replayed);
    expect(replayed).toBeGreaterThanOrEqual(1);
    expect(replayed).toBeLessThan(later.length);
    expect(error?.message).toBe(
      `bulk replay stopped after ${replayed} of 4 (the service is stopping): replayed ${replayed}, ` +
        'failed 0, skipped 0; the rest are still dead letters, run it again',
    );

    expect(await deadLetterIds()).toHaveLength(later.length - replayed);
    const [entry] = (await audit(1))?.nodes ?? [];
    expect(entry).toMatchObject({
      action: 'bulk-replay',
      outcome: `replayed ${replayed}, failed 0, skipped 0, then error: ServiceStoppingError`,
    });
  }, 60_000);

  it('when the consumer restarts, then the audit is still there, newest first', async () => {
    const before = await audit(100);
    await service.close();
    service = await startTestConsumer(iso, { handlers: counting.handlers });
    const after = await audit(100);
    expect(after?.totalCount).toBe(before?.totalCount);
    expect(after?.nodes).toEqual(before?.nodes);
    expect(after?.nodes.at(-1)?.action).toBe('replay');
  });
});
