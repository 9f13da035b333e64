import { testInfrastructure, uniqueName } from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import {
  createDeadLetterStore,
  DEAD_LETTER_MAX_SCAN,
  type DeadLetter,
  InvalidCursorError,
} from '../src/dead-letter-store.ts';

const redis = new Redis(testInfrastructure().redisUrl, { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

const letter = (n: number, overrides: Partial<DeadLetter> = {}): DeadLetter => ({
  id: `topic-a:0:${n}`,
  topic: 'topic-a',
  partition: 0,
  offset: String(n),
  key: Buffer.from(`k${n}`),
  value: Buffer.from(`{"n":${n}}`),
  headers: {},
  attempts: 5,
  reason: 'exhausted',
  errorName: 'TimeoutError',
  errorMessage: `attempt timed out ${n}`,
  firstFailureAt: new Date(Date.UTC(2026, 10, 21, 10, 0, n)).toISOString(),
  failedAt: new Date(Date.UTC(2026, 10, 21, 11, 0, n)).toISOString(),
  consumerGroup: 'g',
  deadLetterPartition: 0,
  deadLetterOffset: String(100 + n),
  status: 'dead',
  history: [],
  ...overrides,
});

/** A store reading at most `maxScan` entries a listing, holding `count` letters of one millisecond. */
async function tieOfOneMillisecond(
  count: number,
  maxScan: number,
  overrides: (n: number) => Partial<DeadLetter> = () => ({}),
) {
  const store = createDeadLetterStore({ redis, prefix: uniqueName('dl'), maxScan });
  const failedAt = new Date(Date.UTC(2026, 10, 21, 12, 0, 0)).toISOString();
  for (let n = 0; n < count; n++) await store.index(letter(n, { failedAt, ...overrides(n) }));
  return { store, failedAt };
}

/** Every id from `after` on, page by page; fails if paging does not end within 50 pages. */
async function pageOn(
  store: ReturnType<typeof createDeadLetterStore>,
  filter: Parameters<ReturnType<typeof createDeadLetterStore>['list']>[0],
  first: number,
  after: string | null = null,
): Promise<string[]> {
  const ids: string[] = [];
  let cursor = after;
  for (let page = 0; page < 50; page++) {
    const result = await store.list(filter, { first, after: cursor });
    ids.push(...result.nodes.map((node) => node.id));
    if (!result.hasNextPage) return ids;
    cursor = result.endCursor;
  }
  throw new Error('paging did not end within 50 pages');
}

describe('the dead-letter index', () => {
  it('when 25 dead letters are paged 10 at a time, then every one comes once, newest first', async () => {
    const store = createDeadLetterStore({ redis, prefix: uniqueName('dl') });
    for (let n = 0; n < 25; n++) await store.index(letter(n));
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const result = await store.list({}, { first: 10, after });
      expect(result.totalCount).toBe(25);
      seen.push(...result.nodes.map((node) => node.offset));
      if (!result.hasNextPage) break;
      after = result.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(24 - i)));
    await expect(store.list({}, { first: 10, after: 'bogus!' })).rejects.toThrow(
      InvalidCursorError,
    );
  });

  it('when more than a scan chunk of dead letters share one millisecond, then paging and filtering still reach every one', async () => {
    // The failure router stamps a whole batch with one time: 1,200 letters, one score.
    const { store } = await tieOfOneMillisecond(1_200, DEAD_LETTER_MAX_SCAN, (n) => ({
      errorMessage: n === 0 ? 'the needle' : `failure ${n}`,
    }));
    expect(new Set(await pageOn(store, {}, 250)).size).toBe(1_200);
    // Members of one score come in reverse lexical order: topic-a:0:0 is the last.
    const needle = await store.list({ errorContains: 'the needle' }, { first: 10 });
    expect(needle.nodes.map((node) => node.id)).toEqual(['topic-a:0:0']);
    expect(needle.totalCount).toBe(1);
  }, 60_000);

  it('when a filtered listing reaches its scan bound before its page is full, then it says there is more and pages on from there', async () => {
    // A bound of 1,000 entries read a page: the one match is the oldest of 2,500.
    const store = createDeadLetterStore({ redis, prefix: uniqueName('dl'), maxScan: 1_000 });
    for (let n = 0; n < 2_500; n++) {
      await store.index(letter(n, { errorMessage: n === 0 ? 'the needle' : `failure ${n}` }));
    }
    const first = await store.list({ errorContains: 'the needle' }, { first: 10 });
    expect(first).toMatchObject({ nodes: [], hasNextPage: true });
    expect(await pageOn(store, { errorContains: 'the needle' }, 10, first.endCursor)).toEqual([
      'topic-a:0:0',
    ]);
  }, 60_000);

  it('when the scan bound falls inside a tie of one millisecond and is not a multiple of a chunk, then paging moves on to the end, each dead letter once', async () => {
    const { store } = await tieOfOneMillisecond(2_500, 1_200, (n) => ({
      errorMessage: n % 700 === 0 ? 'the needle' : `failure ${n}`,
    }));
    const all = await pageOn(store, {}, 400);
    expect(all).toHaveLength(2_500);
    expect(new Set(all).size).toBe(2_500);
    const needles = await pageOn(store, { errorContains: 'the needle' }, 2);
    expect([...needles].sort()).toEqual(
      ['topic-a:0:0', 'topic-a:0:700', 'topic-a:0:1400', 'topic-a:0:2100'].sort(),
    );
  }, 60_000);

  it('when the cursor and some dead letters before it leave the index deep in a tie of one millisecond, then paging still gives every other one once', async () => {
    const { store, failedAt } = await tieOfOneMillisecond(2_000, 300);
    // Paged past the scan bound into the tie first.
    const seen: string[] = [];
    let after: string | null = null;
    while (seen.length < 1_200) {
      const result = await store.list({}, { first: 100, after });
      seen.push(...result.nodes.map((node) => node.id));
      after = result.endCursor;
    }
    // A replay meanwhile: the last page's last dead letter (the cursor) and ten before it leave.
    const replayed = { at: failedAt, action: 'replayed' as const, attempt: 6, actor: 'test' };
    for (const id of seen.slice(-11)) await store.markReplayed(id, replayed);
    seen.push(...(await pageOn(store, {}, 100, after)));
    expect(seen).toHaveLength(2_000);
    expect(new Set(seen).size).toBe(2_000);
  }, 60_000);

  it('when a cursor of the version before (no count) names a dead letter gone from deep in a tie, then paging still moves on to the end', async () => {
    const { store, failedAt } = await tieOfOneMillisecond(2_000, 300);
    const all = await pageOn(store, {}, 2_000);
    expect(all).toHaveLength(2_000);
    const cursorId = all[1_199] as string;
    const oldCursor = Buffer.from(`${Date.parse(failedAt)}|${cursorId}`, 'utf8').toString(
      'base64url',
    );
    await store.markReplayed(cursorId, { at: failedAt, action: 'replayed', attempt: 6 });
    expect(await pageOn(store, {}, 100, oldCursor)).toEqual(all.slice(1_200));
  }, 60_000);

  it('when filtering by topic, reason, error text and time, then only matches come back and are counted', async () => {
    const store = createDeadLetterStore({ redis, prefix: uniqueName('dl') });
    await store.index(letter(1));
    await store.index(
      letter(2, {
        id: 'topic-b:0:2',
        topic: 'topic-b',
        reason: 'non-retryable',
        errorName: 'EventDecodeError',
        errorMessage: 'not JSON',
      }),
    );
    await store.index(letter(3, { id: 'topic-b:0:3', topic: 'topic-b' }));
    const ids = async (filter: Parameters<typeof store.list>[0]) => {
      const page = await store.list(filter, { first: 10 });
      return { total: page.totalCount, ids: page.nodes.map((node) => node.id) };
    };
    expect(await ids({ topic: 'topic-b' })).toEqual({
      total: 2,
      ids: ['topic-b:0:3', 'topic-b:0:2'],
    });
    expect(await ids({ reason: 'non-retryable' })).toEqual({ total: 1, ids: ['topic-b:0:2'] });
    expect(await ids({ topic: 'topic-b', reason: 'exhausted' })).toEqual({
      total: 1,
      ids: ['topic-b:0:3'],
    });
    expect(await ids({ errorContains: 'NOT json' })).toEqual({ total: 1, ids: ['topic-b:0:2'] });
    expect(
      await ids({
        since: new Date(Date.UTC(2026, 10, 21, 11, 0, 2)),
        until: new Date(Date.UTC(2026, 10, 21, 11, 0, 2)),
      }),
    ).toEqual({ total: 1, ids: ['topic-b:0:2'] });
  });

  it('when a dead letter is indexed twice, replayed, or its replay fails, then the index says exactly that', async () => {
    const store = createDeadLetterStore({ redis, prefix: uniqueName('dl') });
    expect(await store.index(letter(7))).toBe(true);
    expect(await store.index(letter(7))).toBe(false);
    await store.recordReplayFailure('topic-a:0:7', {
      at: 'now',
      action: 'replay-failed',
      attempt: 6,
      errorName: 'E',
      errorMessage: 'again',
    });
    expect(await store.get('topic-a:0:7')).toMatchObject({
      attempts: 6,
      errorMessage: 'again',
      status: 'dead',
    });
    expect((await store.list({}, { first: 5 })).totalCount).toBe(1);
    await store.markReplayed('topic-a:0:7', { at: 'later', action: 'replayed', attempt: 7 });
    expect((await store.list({}, { first: 5 })).totalCount).toBe(0);
    expect((await store.get('topic-a:0:7'))?.history.map((entry) => entry.action)).toEqual([
      'replay-failed',
      'replayed',
    ]);
  });
});
