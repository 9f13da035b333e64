import { testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import {
  BULK_REPLAY_BOUNDS,
  BulkReplayInterruptedError,
  InvalidBulkReplayError,
} from '../src/bulk-replay.ts';
import { createDeadLetterAudit } from '../src/dead-letter-audit.ts';
import {
  createDeadLetterOperations,
  type DeadLetterOperations,
  InvalidOperatorInputError,
} from '../src/dead-letter-operations.ts';
import {
  createDeadLetterStore,
  type DeadLetter,
  InvalidCursorError,
} from '../src/dead-letter-store.ts';
import { type ReplayResult, replayDeadLetter } from '../src/replay.ts';
import { createReplayLock } from '../src/replay-lock.ts';
import type { RecordRunner } from '../src/retry-job.ts';
import { createRetryState } from '../src/retry-state.ts';

const redis = new Redis(testInfrastructure().redisUrl, { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

/** A logger that keeps what `info` is given: operator actions are logged there. */
const keeping = (logged: object[]) => ({
  debug() {},
  warn() {},
  error() {},
  info: (details: object) => {
    logged.push(details);
  },
});

const letter = (n: number, overrides: Partial<DeadLetter> = {}): DeadLetter => ({
  id: `topic-a:0:${n}`,
  topic: 'topic-a',
  partition: 0,
  offset: String(n),
  key: Buffer.from(`key-${n}`),
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

/** Operations over a fresh index in the real Redis, with `run` as every dead letter's handler. */
function setUp(run: RecordRunner, logged: object[] = []) {
  const prefix = uniqueName('dl-ops');
  const store = createDeadLetterStore({ redis, prefix });
  const state = createRetryState({ redis, prefix: `${prefix}:state` });
  const lock = createReplayLock({ redis, prefix: `${prefix}:lock` });
  const audit = createDeadLetterAudit({ redis, key: `${prefix}:audit` });
  const waits: number[] = [];
  let clock = 0;
  const operations = createDeadLetterOperations({
    store,
    audit,
    lock,
    replay: (id, actor) => replayDeadLetter({ store, run, state, lock }, id, actor),
    logger: keeping(logged),
    // Pacing is checked by what it asks to wait, on a clock that moves only when slept on.
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    clock: () => clock,
  });
  /** Moves the clock as a slow handler would. */
  const tick = (ms: number) => {
    clock += ms;
  };
  return { prefix, store, audit, operations, waits, tick };
}

const succeed: RecordRunner = async () => ({ ok: true });

/** A handler that always succeeds, and how many times it ran. */
function countingSuccess() {
  const ran = { count: 0 };
  const run: RecordRunner = async () => {
    ran.count += 1;
    return { ok: true };
  };
  return { ran, run };
}

describe('dead-letter operations', () => {
  it('when a replay is a dry run, then nothing runs and the audit says what it would have done', async () => {
    const { ran, run } = countingSuccess();
    const { store, operations } = setUp(run);
    await store.index(letter(0));
    const preview = await operations.replay('dana', 'topic-a:0:0', { dryRun: true });
    expect(preview).toMatchObject({ outcome: 'would-replay', deadLetter: { id: 'topic-a:0:0' } });
    expect((await operations.replay('dana', 'topic-a:0:9', { dryRun: true })).outcome).toBe(
      'not-found',
    );
    expect(ran.count).toBe(0);
    expect((await store.get('topic-a:0:0'))?.status).toBe('dead');
    const entries = (await operations.audit({ first: 2 })).nodes;
    expect(entries).toMatchObject([
      { actor: 'dana', action: 'replay', dryRun: true, deadLetterIds: ['topic-a:0:9'] },
      { actor: 'dana', action: 'replay', dryRun: true, deadLetterIds: ['topic-a:0:0'] },
    ]);
    expect(entries.map((entry) => entry.outcome)).toEqual([
      'dry run: not-found',
      'dry run: would-replay',
    ]);
    // The real replay after it runs the handler once.
    expect((await operations.replay('dana', 'topic-a:0:0')).outcome).toBe('replayed');
    expect(ran.count).toBe(1);
  });

  it('when five replays of one dead letter are fired at the same moment, then its handler runs once', async () => {
    let runs = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first run holds until the others have answered: they overlap it for certain.
    const run: RecordRunner = async () => {
      runs += 1;
      await held;
      return { ok: true };
    };
    const { store, operations } = setUp(run);
    await store.index(letter(1));
    const settled: ReplayResult['outcome'][] = [];
    const replays = Array.from({ length: 5 }, (_, i) =>
      operations.replay(`op-${i}`, 'topic-a:0:1').then((result) => {
        settled.push(result.outcome);
        return result.outcome;
      }),
    );
    await waitFor(() => settled.length === 4 || runs > 1, {
      timeoutMs: 5_000,
      description: 'four replays refused while the first runs',
    });
    release();
    const outcomes = await Promise.all(replays);
    expect(runs).toBe(1);
    expect(outcomes.sort()).toEqual([
      'in-progress',
      'in-progress',
      'in-progress',
      'in-progress',
      'replayed',
    ]);
    expect((await store.get('topic-a:0:1'))?.status).toBe('replayed');
    // Afterwards the lock is free, and the status says it is done.
    expect((await operations.replay('op-9', 'topic-a:0:1')).outcome).toBe('already-replayed');
    expect(runs).toBe(1);
  });

  it('when a bulk replay has no dryRun, then it replays nothing, says what it would, and is audited', async () => {
    const { ran, run } = countingSuccess();
    const { store, operations } = setUp(run);
    for (let n = 0; n < 3; n++) await store.index(letter(n));
    const result = await operations.replayMany('alice', { topic: 'topic-a' }, {});
    expect(result).toEqual({
      dryRun: true,
      matched: 3,
      replayed: 0,
      failed: 0,
      skipped: 0,
      ids: ['topic-a:0:2', 'topic-a:0:1', 'topic-a:0:0'],
    });
    expect(ran.count).toBe(0);
    const audit = await operations.audit({ first: 10 });
    expect(audit.nodes).toEqual([
      expect.objectContaining({
        actor: 'alice',
        action: 'bulk-replay',
        dryRun: true,
        deadLetterIds: result.ids,
        outcome: 'dry run: matched 3, would replay 3',
        filter: '{"topic":"topic-a"}',
      }),
    ]);
  });

  it('when a bulk replay runs for real with a filter, a limit and a rate, then it replays those at that pace and audits the outcome', async () => {
    const run: RecordRunner = async (record) =>
      record.key?.toString() === 'key-4'
        ? { ok: false, failure: { error: new Error('still broken'), retriable: true } }
        : { ok: true };
    const logged: object[] = [];
    const { store, operations, waits } = setUp(run, logged);
    for (let n = 0; n < 5; n++) await store.index(letter(n));
    await store.index(
      letter(9, { id: 'topic-b:0:9', topic: 'topic-b', key: Buffer.from('key-9') }),
    );

    const result = await operations.replayMany(
      'alice',
      { topic: 'topic-a' },
      { dryRun: false, limit: 3, ratePerSecond: 4 },
    );
    expect(result).toEqual({
      dryRun: false,
      matched: 5,
      replayed: 2,
      failed: 1,
      skipped: 0,
      ids: ['topic-a:0:4', 'topic-a:0:3', 'topic-a:0:2'],
    });
    // 4/s: the second and third wait 250 ms after the one before.
    expect(waits).toEqual([250, 250]);
    expect((await store.list({}, { first: 10 })).nodes.map((node) => node.id)).toEqual([
      'topic-b:0:9',
      'topic-a:0:4',
      'topic-a:0:1',
      'topic-a:0:0',
    ]);
    expect((await store.list({ key: 'key-9' }, { first: 10 })).totalCount).toBe(1);

    const [entry] = (await operations.audit({ first: 1 })).nodes;
    expect(entry).toMatchObject({
      actor: 'alice',
      action: 'bulk-replay',
      dryRun: false,
      deadLetterIds: result.ids,
      outcome: 'matched 5, replayed 2, failed 1, skipped 0',
    });
    expect(logged).toContainEqual(
      expect.objectContaining({ actor: 'alice', action: 'bulk-replay', auditId: entry?.id }),
    );
    // The history of each replayed one names its actor.
    expect((await store.get('topic-a:0:3'))?.history.at(-1)).toMatchObject({
      action: 'replayed',
      actor: 'alice',
    });
  });

  it('when a replay rejects part-way through a bulk replay (an outage), then it stops and the audit says how far it got', async () => {
    const run: RecordRunner = async (record) => {
      if (record.key?.toString() === 'key-1') throw new Error('view write failed: Redis down');
      return { ok: true };
    };
    const { store, operations } = setUp(run);
    for (let n = 0; n < 3; n++) await store.index(letter(n));
    await expect(
      operations.replayMany('carol', {}, { dryRun: false, ratePerSecond: 100 }),
    ).rejects.toThrow(BulkReplayInterruptedError);
    const [entry] = (await operations.audit({ first: 1 })).nodes;
    expect(entry).toMatchObject({
      actor: 'carol',
      action: 'bulk-replay',
      deadLetterIds: ['topic-a:0:2', 'topic-a:0:1', 'topic-a:0:0'],
      outcome: 'replayed 1, failed 0, skipped 0, then error: Error',
    });
    // The one that rejected is still listed, and its lock was released.
    expect((await store.get('topic-a:0:1'))?.status).toBe('dead');
    expect((await operations.replay('carol', 'topic-a:0:0')).outcome).toBe('replayed');
  });

  it('when the service stops during a bulk replay, then it takes no more dead letters and the audit says how far it got', async () => {
    const stopping: { operations?: DeadLetterOperations } = {};
    // The service stops while the second dead letter is being replayed: it finishes, no third.
    let runs = 0;
    const run: RecordRunner = async () => {
      runs += 1;
      if (runs === 2) stopping.operations?.interrupt();
      return { ok: true };
    };
    const { store, operations } = setUp(run);
    stopping.operations = operations;
    for (let n = 0; n < 4; n++) await store.index(letter(n));
    const refused = await operations
      .replayMany('erin', {}, { dryRun: false, ratePerSecond: 10 })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BulkReplayInterruptedError);
    expect((refused as BulkReplayInterruptedError).result).toMatchObject({ replayed: 2 });
    expect(runs).toBe(2);
    const [entry] = (await operations.audit({ first: 1 })).nodes;
    expect(entry).toMatchObject({
      actor: 'erin',
      action: 'bulk-replay',
      outcome: 'replayed 2, failed 0, skipped 0, then error: ServiceStoppingError',
    });
    expect((await store.list({}, { first: 10 })).totalCount).toBe(2);
  });

  it('when the handlers are slow, then a bulk replay stops taking dead letters at its 50 s deadline and counts the rest as skipped', async () => {
    // Each replay takes 20 s on the test clock: the pace (100/s) alone would fit the bound.
    const run: RecordRunner = async () => {
      slow.tick(20_000);
      return { ok: true };
    };
    const slow = setUp(run);
    for (let n = 0; n < 5; n++) await slow.store.index(letter(n));
    const result = await slow.operations.replayMany(
      'dave',
      {},
      { dryRun: false, ratePerSecond: 100 },
    );
    // Started at 0, 20 and 40 s; at 60 s the deadline has passed.
    expect(result).toMatchObject({ matched: 5, replayed: 3, failed: 0, skipped: 2 });
    expect((await slow.store.list({}, { first: 10 })).totalCount).toBe(2);
    const [entry] = (await slow.operations.audit({ first: 1 })).nodes;
    expect(entry?.outcome).toBe('matched 5, replayed 3, failed 0, skipped 2');
  });

  it('when the audit cannot be written after a replay succeeded, then the replay still answers replayed and the log names who did it', async () => {
    const prefix = uniqueName('dl-ops');
    const store = createDeadLetterStore({ redis, prefix });
    const state = createRetryState({ redis, prefix: `${prefix}:state` });
    const lock = createReplayLock({ redis, prefix: `${prefix}:lock` });
    const errors: { details: object; message: string }[] = [];
    const operations = createDeadLetterOperations({
      store,
      // The same outage that may follow a replay: the audit's Redis write fails.
      audit: {
        record: async () => {
          throw new Error('audit stream unreachable');
        },
        page: async () => ({ totalCount: 0, nodes: [], endCursor: null, hasNextPage: false }),
      },
      lock,
      replay: (id, actor) => replayDeadLetter({ store, run: succeed, state, lock }, id, actor),
      logger: {
        ...keeping([]),
        error: (details: object, message: string) => errors.push({ details, message }),
      },
    });
    await store.index(letter(1));
    expect((await operations.replay('erin', 'topic-a:0:1')).outcome).toBe('replayed');
    expect((await store.get('topic-a:0:1'))?.status).toBe('replayed');
    expect(errors).toEqual([
      {
        details: expect.objectContaining({
          actor: 'erin',
          action: 'replay',
          deadLetters: ['topic-a:0:1'],
          outcome: 'replayed',
        }),
        message: 'dead-letter operation not audited',
      },
    ]);
  });

  it('when the stats counter cannot be written after a replay succeeded, then the replay still answers replayed and a bulk run goes on', async () => {
    const prefix = uniqueName('dl-ops');
    const store = createDeadLetterStore({ redis, prefix });
    const real = createRetryState({ redis, prefix: `${prefix}:state` });
    // The same outage that may follow a replay: the counter's Redis write fails.
    const state = Object.assign(Object.create(real) as typeof real, {
      count: async () => {
        throw new Error('stats unreachable');
      },
    });
    const lock = createReplayLock({ redis, prefix: `${prefix}:lock` });
    const warned: object[] = [];
    const logger = { warn: (details: object) => warned.push(details) };
    const operations = createDeadLetterOperations({
      store,
      audit: createDeadLetterAudit({ redis, key: `${prefix}:audit` }),
      lock,
      replay: (id, actor) =>
        replayDeadLetter({ store, run: succeed, state, lock, logger }, id, actor),
      logger: keeping([]),
      sleep: async () => {},
    });
    for (let n = 0; n < 3; n++) await store.index(letter(n));
    expect((await operations.replay('frank', 'topic-a:0:2')).outcome).toBe('replayed');
    const bulk = await operations.replayMany('frank', {}, { dryRun: false, ratePerSecond: 100 });
    expect(bulk).toMatchObject({ replayed: 2, failed: 0, skipped: 0 });
    expect((await store.list({}, { first: 10 })).totalCount).toBe(0);
    expect(warned).toHaveLength(3);
    expect(warned[0]).toMatchObject({ deadLetter: 'topic-a:0:2', step: 'stats counter' });
  });

  it('when a bulk replay filters on error text past the store scan bound, then it still takes the older matches', async () => {
    const prefix = uniqueName('dl-ops');
    // A bound of 1,000 entries a listing: the one match is the oldest of 2,500.
    const store = createDeadLetterStore({ redis, prefix, maxScan: 1_000 });
    const state = createRetryState({ redis, prefix: `${prefix}:state` });
    const lock = createReplayLock({ redis, prefix: `${prefix}:lock` });
    const operations = createDeadLetterOperations({
      store,
      audit: createDeadLetterAudit({ redis, key: `${prefix}:audit` }),
      lock,
      replay: (id, actor) => replayDeadLetter({ store, run: succeed, state, lock }, id, actor),
      logger: keeping([]),
      sleep: async () => {},
    });
    for (let n = 0; n < 2_500; n++) {
      await store.index(letter(n, { errorMessage: n === 0 ? 'the needle' : `failure ${n}` }));
    }
    const result = await operations.replayMany(
      'gina',
      { errorContains: 'the needle' },
      { dryRun: false, ratePerSecond: 100 },
    );
    expect(result).toMatchObject({ ids: ['topic-a:0:0'], replayed: 1, matched: 1 });
  }, 60_000);

  it('when bulk-replay options are out of bounds, then they are refused before anything runs and not audited', async () => {
    const { store, operations } = setUp(succeed);
    for (let n = 0; n < 3; n++) await store.index(letter(n));
    const { maxLimit, maxRate } = BULK_REPLAY_BOUNDS;
    for (const options of [
      { limit: 0 },
      { limit: maxLimit + 1 },
      { limit: 1.5 },
      { ratePerSecond: 0 },
      { ratePerSecond: maxRate + 1 },
    ]) {
      await expect(operations.replayMany('alice', {}, options)).rejects.toThrow(
        InvalidBulkReplayError,
      );
    }
    // 3 at 1/s is fine; the bound is on how long one request would replay.
    await expect(
      operations.replayMany('alice', {}, { dryRun: false, ratePerSecond: 1 }),
    ).resolves.toMatchObject({ replayed: 3 });
    expect((await operations.audit({ first: 10 })).totalCount).toBe(1);
  });

  it('when a replay would outlast a request at its rate, then a dry run refuses it as the real run does', async () => {
    const { store, operations } = setUp(succeed);
    const over = BULK_REPLAY_BOUNDS.maxSeconds + 1;
    for (let n = 0; n < over; n++) await store.index(letter(n));
    for (const dryRun of [true, false]) {
      await expect(
        operations.replayMany('alice', {}, { dryRun, limit: over, ratePerSecond: 1 }),
      ).rejects.toThrow(
        `would take ${over} s, more than the ${BULK_REPLAY_BOUNDS.maxSeconds} s a request may`,
      );
    }
    expect((await operations.audit({ first: 10 })).totalCount).toBe(0);
  });

  it('when a dead letter is discarded, then it leaves the list, cannot be replayed, does not come back, and the audit says who and why', async () => {
    const { ran, run } = countingSuccess();
    const { store, operations } = setUp(run);
    await store.index(letter(1));
    await expect(operations.discard('bob', 'topic-a:0:1', '   ')).rejects.toThrow(
      InvalidOperatorInputError,
    );
    expect(await operations.discard('bob', 'topic-a:0:1', ' payload is garbage ')).toEqual({
      outcome: 'discarded',
    });
    expect((await store.list({}, { first: 10 })).totalCount).toBe(0);
    expect(await store.index(letter(1))).toBe(false);
    expect((await operations.replay('bob', 'topic-a:0:1')).outcome).toBe('discarded');
    expect(await operations.discard('bob', 'topic-a:0:1', 'again')).toEqual({
      outcome: 'already-gone',
      status: 'discarded',
    });
    expect(await operations.discard('bob', 'topic-a:0:404', 'who')).toEqual({
      outcome: 'not-found',
    });
    expect(ran.count).toBe(0);
    expect((await store.get('topic-a:0:1'))?.history.at(-1)).toMatchObject({
      action: 'discarded',
      actor: 'bob',
      note: 'payload is garbage',
    });
    const audit = await operations.audit({ first: 10 });
    expect(audit.nodes.map((entry) => [entry.action, entry.outcome])).toEqual([
      ['discard', 'not-found'],
      ['discard', 'already discarded'],
      ['replay', 'discarded'],
      ['discard', 'discarded'],
    ]);
    expect(audit.nodes[3]).toMatchObject({ actor: 'bob', reason: 'payload is garbage' });
  });

  it('when the audit is read by a new client after more entries than it keeps, then it has the newest, newest first, page by page', async () => {
    const key = uniqueName('audit');
    const writer = createDeadLetterAudit({ redis, key, maxEntries: 4 });
    for (let n = 0; n < 6; n++) {
      await writer.record({
        at: new Date(Date.UTC(2026, 11, 2, 12, 0, n)).toISOString(),
        actor: 'alice',
        action: 'replay',
        deadLetterIds: [`t:0:${n}`],
        dryRun: false,
        outcome: 'replayed',
      });
    }
    // As after a restart: another connection, another audit object, the same Redis key.
    const other = new Redis(testInfrastructure().redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const reader = createDeadLetterAudit({ redis: other, key, maxEntries: 4 });
      const first = await reader.page({ first: 3 });
      expect(first.totalCount).toBe(4);
      expect(first.hasNextPage).toBe(true);
      const second = await reader.page({ first: 3, after: first.endCursor });
      expect(second.hasNextPage).toBe(false);
      expect([...first.nodes, ...second.nodes].map((entry) => entry.deadLetterIds[0])).toEqual([
        't:0:5',
        't:0:4',
        't:0:3',
        't:0:2',
      ]);
      await expect(reader.page({ first: 3, after: 'not-a-cursor' })).rejects.toThrow(
        InvalidCursorError,
      );
    } finally {
      other.disconnect();
    }
  });
});
