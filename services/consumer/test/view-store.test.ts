import { randomUUID } from 'node:crypto';
import { redisClusterUp, startTestRedisServers } from '@kafka-ecs/devstack';
import {
  deleteKeys,
  keysOnEveryMaster,
  testInfrastructure,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';
import { Cluster, Redis } from 'ioredis';
import type { UserView } from '../src/domain/user-view.ts';
import { countListeners } from '../src/infra/notification-listeners.ts';
import {
  type ApplyScriptClient,
  type ChangeToApply,
  createRedisViewStore,
  DEDUPE_WINDOW,
  packChanges,
  type RecordPosition,
  type RedisClient,
  SCRIPT_CHANGES_MAX,
  type ViewStore,
  type WriteTarget,
} from '../src/infra/redis-view-store.ts';
import { legacyRegistryKeys, viewKeys } from '../src/infra/view-keys.ts';
import { createViewOpener } from '../src/infra/view-opener.ts';
import { createViewRegistry, RebuildInterruptedError } from '../src/infra/view-registry.ts';
import { logger, newRedis } from './support/harness.ts';

// The Redis view store's idempotency and memory, against a real Redis and a real Redis Cluster
// (three masters, `pnpm stack:up --redis-cluster`): what the apply script decides for
// re-deliveries, re-published events, retries and a rebuild beside the live writer.

let clusterUrl: URL;
beforeAll(async () => {
  clusterUrl = new URL((await redisClusterUp({ log: () => {} })).redisUrl);
}, 60_000);

const newCluster = () =>
  new Cluster([{ host: clusterUrl.hostname, port: Number(clusterUrl.port) }], {
    redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 5_000 },
  });

const CLIENTS: [string, () => RedisClient][] = [
  ['a single Redis', () => newRedis()],
  ['a Redis Cluster', newCluster],
];

const LIVE: WriteTarget = { views: ['v1'], notify: false, writer: 'live' };
const TOKENS = 'issued-token';

let redis: RedisClient;
let prefix: string;
let store: ViewStore;

const at = (offset: number, partition = 0, topic = TOKENS): RecordPosition => ({
  topic,
  partition,
  offset: String(offset),
});

function token(userId: string, position: RecordPosition | null, eventId = randomUUID()) {
  return {
    eventId,
    eventType: 'issued-token',
    change: { kind: 'token-issued', userId, issuedAt: new Date().toISOString() },
    position,
  } satisfies ChangeToApply;
}

function profile(
  userId: string,
  position: RecordPosition | null,
  fields: Partial<Pick<UserView, 'username' | 'email' | 'firstName' | 'lastName'>> = {},
): ChangeToApply {
  return {
    eventId: randomUUID(),
    eventType: 'new-user-created',
    change: {
      kind: 'profile',
      userId,
      profile: {
        id: userId,
        username: `name-${userId.slice(-6)}`,
        email: `${userId}@example.com`,
        firstName: null,
        lastName: null,
        createdAt: '2026-01-01T00:00:00.000Z',
        ...fields,
      },
    },
    position,
  };
}

/** `count` tokens at offsets 0… of one partition, the users taking turns. */
const interleaved = (users: string[], count: number) =>
  Array.from({ length: count }, (_, offset) =>
    token(users[offset % users.length] as string, at(offset)),
  );
/** The live writer while a rebuild fills v2, and the rebuild's own replay into v2. */
const rebuilding: WriteTarget = { views: ['v1', 'v2'], notify: false, writer: 'live' };
const replay: WriteTarget = { views: ['v2'], notify: false, writer: 'rebuild' };

const tokensOf = async (view: string, userId: string) =>
  Number((await redis.hget(viewKeys(prefix).user(view, userId), 'tokensIssued')) ?? 0);

/** Bytes Redis holds for everything of one user in one view (its key and any beside it). */
async function memoryOf(view: string, userId: string): Promise<number> {
  let bytes = 0;
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    for (const key of await node.keys(`${viewKeys(prefix).user(view, userId)}*`)) {
      bytes += Number(await node.memory('USAGE', key, 'SAMPLES', 0));
    }
  }
  return bytes;
}

describe.each(CLIENTS)('the Redis view store on %s', (_name, connect) => {
  beforeEach(() => {
    redis = connect();
    prefix = uniqueName('view-store');
    store = createRedisViewStore({ redis, prefix });
  });
  afterEach(async () => {
    await redis.quit();
  });

  it('when a user logs in 1,000 times, then its view takes within a few hundred bytes of what it took after 10', async () => {
    const user = randomUUID();
    await store.apply([profile(user, at(0, 0, 'new-user-created'))], LIVE);
    const logins = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => token(user, at(from + i)));
    await store.apply(logins(0, 10), LIVE);
    const after10 = await memoryOf('v1', user);
    for (let from = 10; from < 1_000; from += 110) await store.apply(logins(from, 110), LIVE);
    const after1000 = await memoryOf('v1', user);

    expect(await tokensOf('v1', user)).toBe(1_000);
    expect(Math.abs(after1000 - after10)).toBeLessThanOrEqual(300);
  });

  it('when a batch is delivered again, then nothing in it is applied twice, whatever it holds', async () => {
    const [ada, bob] = [randomUUID(), randomUUID()];
    const batch = [token(ada, at(5)), token(bob, at(6)), token(ada, at(7))];
    expect(await store.apply(batch, LIVE)).toEqual(['applied', 'applied', 'applied']);

    // The same records again, and then the batch with the next records behind it.
    expect(await store.apply(batch, LIVE)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    const next = [...batch, token(ada, at(8)), token(bob, at(9))];
    expect(await store.apply(next, LIVE)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'applied',
      'applied',
    ]);
    expect([await tokensOf('v1', ada), await tokensOf('v1', bob)]).toEqual([3, 2]);
  });

  it('when an event is published twice (another offset) or retried, then it is applied once', async () => {
    const user = randomUUID();
    const first = token(user, at(10));
    await store.apply([first], LIVE);

    const republished = { ...first, position: at(11) };
    const retried = { ...first, position: null };
    expect(await store.apply([republished], LIVE)).toEqual(['duplicate']);
    expect(await store.apply([retried], LIVE)).toEqual(['duplicate']);

    // A retry applied first (the live delivery had failed), then the record comes again.
    const late = token(user, null);
    expect(await store.apply([late], LIVE)).toEqual(['applied']);
    expect(await store.apply([{ ...late, position: at(3) }], LIVE)).toEqual(['duplicate']);
    expect(await tokensOf('v1', user)).toBe(2);
  });

  it(`when an id left the window of the last ${DEDUPE_WINDOW} ids, then only its offset still dedupes it`, async () => {
    const user = randomUUID();
    const old = token(user, at(0));
    await store.apply([old], LIVE);
    await store.apply(
      Array.from({ length: DEDUPE_WINDOW }, (_, i) => token(user, at(i + 1))),
      LIVE,
    );
    // The same record: its offset is below the mark. A re-publication this late is not caught:
    // the window is the bound on memory (docs/architecture.md).
    expect(await store.apply([old], LIVE)).toEqual(['duplicate']);
    expect(await store.apply([{ ...old, position: at(DEDUPE_WINDOW + 1) }], LIVE)).toEqual([
      'applied',
    ]);
  });

  it('when a rebuild replays a partition while the live writer writes its end, then every record counts once', async () => {
    const users = [randomUUID(), randomUUID(), randomUUID()];
    const records = interleaved(users, 60);
    await store.apply(records.slice(0, 30), LIVE);
    // The rebuild began: the live writer writes both views from offset 30 on (and delivers
    // 30-39 twice); the replay reads from 0 past the point where the live writer started.
    await store.apply(records.slice(30, 40), rebuilding);
    await store.apply(records.slice(0, 25), replay);
    await store.apply(records.slice(30, 50), rebuilding);
    await store.apply(records.slice(25, 45), replay);
    await store.apply(records.slice(50), rebuilding);

    for (const user of users) {
      expect(await tokensOf('v2', user)).toBe(20);
      expect(await tokensOf('v1', user)).toBe(20);
    }
  });

  it('when the rebuild runs ahead of a stalled live writer, then the live writer applies only what the rebuild has not', async () => {
    const users = [randomUUID(), randomUUID()];
    const records = interleaved(users, 60);
    await store.apply(records.slice(0, 10), LIVE);
    // The live group stalls at 10; the rebuild replays 0-49 meanwhile (far more than the id
    // window), then the live writer resumes from 10 into both views, and the rebuild ends.
    await store.apply(records.slice(0, 50), replay);
    await store.apply(records.slice(10, 60), rebuilding);
    await store.apply(records.slice(50, 60), replay);
    // After the switch, the live writer delivers some of it once more.
    await store.apply(records.slice(40, 60), { ...LIVE, views: ['v2'] });

    for (const user of users) {
      expect(await tokensOf('v2', user)).toBe(30);
      expect(await tokensOf('v1', user)).toBe(30);
    }
  });

  it('when a new user comes with its profile alone, then its hash is what the user with more changes in the call gets, for every writer', async () => {
    // The script writes a new user whose only change in a call is its profile in one HSET; a
    // user with more changes goes the general way. Both must leave the same fields and marks.
    const variants: [string, (id: string) => ChangeToApply][] = [
      ['names absent, read from a partition', (id) => profile(id, at(7, 3, 'new-user-created'))],
      [
        'both names, read from a partition',
        (id) =>
          profile(id, at(8, 3, 'new-user-created'), { firstName: 'Ada', lastName: 'Lovelace' }),
      ],
      ['an empty name, a retry', (id) => profile(id, null, { firstName: '' })],
    ];
    const targets: [string, (view: string) => WriteTarget][] = [
      ['live', (view) => ({ ...LIVE, views: [view] })],
      ['live beside a rebuild', (view) => ({ ...rebuilding, views: [`${view}-live`, view] })],
      ['rebuild', (view) => ({ ...replay, views: [view] })],
    ];
    for (const [variant, made] of variants) {
      for (const [writer, target] of targets) {
        const user = randomUUID();
        const created = made(user);
        const login = token(user, at(9));
        await store.apply([created], target('alone'));
        await store.apply([login], target('alone'));
        await store.apply([created, login], target('together'));
        const [alone, together] = await Promise.all(
          ['alone', 'together'].map((view) => redis.hgetall(viewKeys(prefix).user(view, user))),
        );
        expect({ variant, writer, hash: alone }).toEqual({ variant, writer, hash: together });
        expect(alone).toMatchObject({ id: user, tokensIssued: '1' });
      }
    }
  });

  it('when changes are applied and someone listens, then each applied change is published with the user after it', async () => {
    const user = randomUUID();
    const listener = connect();
    const heard: Record<string, string>[] = [];
    try {
      await listener.subscribe(viewKeys(prefix).notifications);
      listener.on('message', (_channel, message) => heard.push(JSON.parse(message)));
      const notify: WriteTarget = { ...LIVE, notify: true };
      const created = profile(user, at(0, 0, 'new-user-created'));
      await store.apply([created, token(user, at(0)), token(user, at(1))], notify);
      await store.apply([created], notify);
      await store.apply([token(user, at(2))], LIVE);

      await waitFor(() => heard.length >= 3, { description: 'three notifications' });
      expect(heard.map((view) => view.tokensIssued)).toEqual([undefined, '1', '2']);
      expect(heard[2]).toEqual({
        id: user,
        username: `name-${user.slice(-6)}`,
        email: `${user}@example.com`,
        createdAt: '2026-01-01T00:00:00.000Z',
        tokensIssued: '2',
        lastTokenIssuedAt: expect.any(String),
      });
      // Nothing for the duplicate nor for the write with nobody listening: a later change is
      // the next thing heard.
      await store.apply([token(user, at(3))], notify);
      await waitFor(() => heard.length >= 4, { description: 'the fourth notification' });
      expect(heard.map((view) => view.tokensIssued)).toEqual([undefined, '1', '2', '4']);
    } finally {
      await listener.quit();
    }
  });

  it('when a profile has an empty name and an absent one, then the view keeps them apart', async () => {
    const user = randomUUID();
    const created = profile(user, at(0, 0, 'new-user-created'), { firstName: '', lastName: null });
    await store.apply([created], LIVE);
    expect(await store.user('v1', user)).toMatchObject({ firstName: '', lastName: null });
  });

  it('when a later profile drops a name or sets it again, in one call or the next, then the last one holds', async () => {
    const user = randomUUID();
    const named = (offset: number, firstName: string | null, lastName: string | null) =>
      profile(user, at(offset, 0, 'new-user-created'), { firstName, lastName });
    await store.apply([named(0, 'Ada', 'King'), named(1, null, 'Byron')], LIVE);
    expect(await store.user('v1', user)).toMatchObject({ firstName: null, lastName: 'Byron' });

    // Byron removed, then set anew within the same call.
    await store.apply([named(2, null, null), named(3, 'Eve', 'Gray')], LIVE);
    expect(await store.user('v1', user)).toMatchObject({ firstName: 'Eve', lastName: 'Gray' });
  });

  it('when a long value is replaced within one call, then the hash stays a listpack', async () => {
    const user = randomUUID();
    const long = `${'a'.repeat(70)}@example.com`; // longer than hash-max-listpack-value (64)
    const named = (offset: number, email: string, firstName: string | null) =>
      profile(user, at(offset, 0, 'new-user-created'), { email, firstName });
    await store.apply([named(0, long, 'x'.repeat(80)), named(1, 'ada@example.com', null)], LIVE);

    expect(await store.user('v1', user)).toMatchObject({
      email: 'ada@example.com',
      firstName: null,
    });
    expect(await redis.object('ENCODING', viewKeys(prefix).user('v1', user))).toBe('listpack');
  });

  it('when values hold any UTF-8 or bytes that look like lengths, then the view keeps them exactly', async () => {
    // The script reads each change's values from one packed argument by their byte lengths.
    const long = `é${'x'.repeat(300)}`; // a length over 255: more than its low byte
    const names = ['Zoë', '李小龍', '🙂 x', '\u0000\u0000\u0000\u0005', '=', long];
    const users = names.map(() => randomUUID());
    const changes = users.map((user, i) => {
      const name = names[i] as string;
      // A username starts its value in the packing (a name follows its '=').
      const username = `\u0000\u0000\u0000\u0001${name}`;
      return profile(user, at(i, 0, 'new-user-created'), {
        username,
        firstName: name,
        lastName: name,
      });
    });
    expect(await store.apply(changes, LIVE)).toEqual(names.map(() => 'applied'));
    for (const [i, user] of users.entries()) {
      expect(await store.user('v1', user)).toMatchObject({
        username: `\u0000\u0000\u0000\u0001${names[i]}`,
        firstName: names[i],
        lastName: names[i],
      });
    }
  });

  it('when a batch holds more changes than one script call takes, then each is applied once', async () => {
    const count = 2 * SCRIPT_CHANGES_MAX + 1; // three calls on a single Redis
    const created = (users: string[], from: number) =>
      users.map((user, i) => profile(user, at(from + i, 0, 'new-user-created')));
    const first = created(
      Array.from({ length: count }, () => randomUUID()),
      0,
    );
    expect(await store.apply(first, LIVE)).toEqual(first.map(() => 'applied'));
    // Again, with the last calls' users new: each outcome comes from its own call's reply.
    const fresh = created(
      Array.from({ length: count - SCRIPT_CHANGES_MAX }, () => randomUUID()),
      count,
    );
    const again = [...first.slice(0, SCRIPT_CHANGES_MAX), ...fresh];
    expect(await store.apply(again, LIVE)).toEqual(
      again.map((_, i) => (i < SCRIPT_CHANGES_MAX ? 'duplicate' : 'applied')),
    );
    for (const read of [first[0], again[SCRIPT_CHANGES_MAX], again.at(-1)]) {
      const user = read?.change.userId as string;
      expect(await store.user('v1', user)).toMatchObject({ id: user, tokensIssued: 0 });
    }
  });

  it('when one user has 1,000 changes in a batch, then each is applied once and its hash stays a listpack', async () => {
    const user = randomUUID();
    const logins = [
      profile(user, at(0, 0, 'new-user-created')),
      ...Array.from({ length: 1_000 }, (_, i) => token(user, at(i))),
    ];
    expect(await store.apply(logins, LIVE)).toEqual(logins.map(() => 'applied'));
    expect(await store.apply(logins, LIVE)).toEqual(logins.map(() => 'duplicate'));

    expect(await tokensOf('v1', user)).toBe(1_000);
    // Newer Redis than this 7.0 would also convert it on one HSET naming 128+ fields.
    const key = viewKeys(prefix).user('v1', user);
    expect(await redis.object('ENCODING', key)).toBe('listpack');
  });

  it('when a change is not one the store knows, then it alone is refused and the rest applied', async () => {
    const user = randomUUID();
    const unknown = {
      ...token(user, at(1)),
      change: { kind: 'renamed', userId: user },
    } as unknown as ChangeToApply;
    const outcomes = await store.apply([token(user, at(0)), unknown, token(user, at(2))], LIVE);
    expect(outcomes[0]).toBe('applied');
    expect(outcomes[1]).toBeInstanceOf(Error);
    expect(outcomes[2]).toBe('applied');
  });

  it('when users are spread over the index shards, then pages come in one order, every user once', async () => {
    const users = Array.from({ length: 40 }, () => randomUUID());
    await store.apply(
      users.map((user, i) => profile(user, at(i, 0, 'new-user-created'))),
      LIVE,
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await store.users('v1', { first: 7, after });
      expect(page.totalCount).toBe(40);
      seen.push(...page.nodes.map((node) => node.id));
      if (!page.hasNextPage) break;
      after = Buffer.from(page.endCursor as string, 'base64url').toString('utf8');
    }
    expect(seen).toEqual([...users].sort());
  });

  it('when a view is dropped, then none of its keys is left, on every node', async () => {
    const users = Array.from({ length: 30 }, () => randomUUID());
    await store.apply(
      users.map((user, i) => profile(user, at(i, 0, 'new-user-created'))),
      LIVE,
    );
    expect(await store.dropView('v1')).toBeGreaterThanOrEqual(users.length);
    expect(await keysOnEveryMaster(redis, viewKeys(prefix).viewPattern('v1'))).toEqual([]);
    expect(await store.users('v1', { first: 5, after: null })).toMatchObject({ totalCount: 0 });
    expect(await store.user('v1', users[0] as string)).toBeNull();
  });

  it('when a client subscribes to the notifications and leaves, then the listeners are counted over every node', async () => {
    const channel = viewKeys(prefix).notifications;
    const listener = connect();
    try {
      expect(await countListeners(redis, channel)).toBe(0);
      await listener.subscribe(channel);
      expect(await countListeners(redis, channel)).toBe(1);
      await listener.unsubscribe(channel);
      await waitFor(async () => (await countListeners(redis, channel)) === 0, {
        description: 'no listener left',
      });
    } finally {
      await listener.quit();
    }
  });

  it('when a view is rebuilt and activated, then the registry moves readers and writers in one step', async () => {
    const registry = createViewRegistry({ redis, prefix });
    expect(await registry.initialize()).toEqual({ active: 'v1', writing: ['v1'], created: true });
    expect(await registry.initialize()).toEqual({ active: 'v1', writing: ['v1'], created: false });
    expect(await registry.beginRebuild()).toBe('v2');
    expect(await registry.targets()).toEqual({ active: 'v1', writing: ['v1', 'v2'] });
    expect(await registry.unverified()).toBe(true);
    expect(await registry.activate('v2')).toEqual({ previous: 'v1' });
    expect(await registry.targets()).toEqual({ active: 'v2', writing: ['v2'] });
    // A view replayed from the topics is whole: nothing left for a start to check.
    expect(await registry.unverified()).toBe(false);
  });

  it('when the registry is lost during a rebuild, then the rebuilt view is refused, not activated', async () => {
    const registry = createViewRegistry({ redis, prefix });
    await registry.initialize();
    const rebuilt = await registry.beginRebuild();
    await deleteKeys(redis, `${prefix}:*`);
    const made = await registry.initialize();
    await expect(registry.activate(rebuilt)).rejects.toBeInstanceOf(RebuildInterruptedError);
    expect(await registry.targets()).toEqual({ active: made.active, writing: [made.active] });
  });

  describe('a registry found missing', () => {
    const opener = (groupHasCommitted: () => Promise<boolean>) =>
      createViewOpener({
        registry: createViewRegistry({ redis, prefix }),
        groupHasCommitted,
        logger,
        checkTimeoutMs: 200,
      });
    const lost = () => createViewRegistry({ redis, prefix }).lostSince();
    const unverified = () => createViewRegistry({ redis, prefix }).unverified();

    it('when the group has not committed (a new deployment), then the view is not taken for lost', async () => {
      expect(await opener(async () => false).open()).toMatchObject({ created: true });
      expect([await lost(), await unverified()]).toEqual([null, false]);
    });

    it('when the group has committed, or Kafka does not answer in time, or fails, then it is recorded as lost', async () => {
      for (const ask of [
        async () => true,
        () => new Promise<boolean>(() => {}),
        async () => Promise.reject(new Error('no broker')),
      ]) {
        await deleteKeys(redis, `${prefix}:*`);
        expect(await opener(ask).targets()).toEqual({
          active: 'v1',
          writing: ['v1'],
          created: true,
        });
        expect(await lost()).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(await unverified()).toBe(false);
      }
    });

    it('when batches and reads meet it at once, then they share one opening and one question to Kafka', async () => {
      let asked = 0;
      const views = opener(async () => {
        asked += 1;
        return true;
      });
      const opened = await Promise.all(Array.from({ length: 5 }, () => views.targets()));
      expect(new Set(opened.map((targets) => targets.active))).toEqual(new Set(['v1']));
      expect(asked).toBe(1);
    });

    it('when the start that made it stopped before its check, then the next start checks', async () => {
      // Made, and nothing asked Kafka: the process stopped there.
      expect(await createViewRegistry({ redis, prefix }).initialize()).toMatchObject({
        created: true,
      });
      expect(await opener(async () => true).open()).toMatchObject({ created: false });
      expect(await lost()).not.toBeNull();
      expect(await unverified()).toBe(false);
    });
  });
});

describe('the apply script on a single Redis', () => {
  it('when one call meets a user again after another user, then nothing of one user reaches the other and each change applies once', async () => {
    // The store sends a user's changes together (scriptCalls); the script does not count on it.
    // Two users in one call: a single Redis only (on a cluster a call holds one user).
    const client = new Redis(testInfrastructure().redisUrl);
    const listener = client.duplicate();
    const heard: Record<string, string>[] = [];
    try {
      const scriptPrefix = uniqueName('view-script');
      const keys = viewKeys(scriptPrefix);
      createRedisViewStore({ redis: client, prefix: scriptPrefix }); // defines the command
      await listener.subscribe(keys.notifications);
      listener.on('message', (_channel, message) => heard.push(JSON.parse(message)));
      const [a, b] = [randomUUID(), randomUUID()];
      // A change's 11 packed values (apply-change.script.ts): key index, source, offset, event
      // id, kind, then the change's 6 (a token's issuedAt, or a profile's fields).
      const change = (key: number, source: string, offset: number, id: string, kind: string) => [
        String(key),
        source,
        String(offset),
        id,
        kind,
      ];
      const created = [
        ...change(1, 'new-user-created/0', 0, randomUUID(), 'profile'),
        ...[a, 'ada', 'ada@example.com', '2026-01-01T00:00:00.000Z', '=Ada', ''],
      ];
      const firstLogin = randomUUID();
      const login = (key: number, offset: number, id = randomUUID(), source = 'issued-token/0') => [
        ...change(key, source, offset, id, 'token-issued'),
        ...['2026-01-02T00:00:00.000Z', '', '', '', '', ''],
      ];
      const call = (channel: string, ...changes: string[][]) =>
        (client as unknown as ApplyScriptClient).applyViewChanges(
          2,
          keys.user('v1', a),
          keys.user('v1', b),
          'live',
          channel,
          String(DEDUPE_WINDOW),
          packChanges(changes.flat()),
        );

      expect(await call('', created)).toEqual([1]);
      // a, b, a again, then a retry (no source) of a's first login: already applied.
      const logins = [
        login(1, 0, firstLogin),
        login(2, 1),
        login(1, 2),
        login(1, 0, firstLogin, ''),
      ];
      expect(await call(keys.notifications, ...logins)).toEqual([1, 1, 1, 0]);
      expect(await call('', ...logins)).toEqual([0, 0, 0, 0]);

      expect(await client.hgetall(keys.user('v1', a))).toMatchObject({
        firstName: 'Ada',
        tokensIssued: '2',
      });
      const userB = await client.hgetall(keys.user('v1', b));
      expect(userB.tokensIssued).toBe('1');
      expect(userB).not.toHaveProperty('firstName');
      expect(userB).not.toHaveProperty('username');
      // b has no profile, so no notification: only a's two logins are heard (a PING's answer
      // comes after every message published before it).
      await listener.ping();
      expect(heard.map((view) => [view.id, view.tokensIssued])).toEqual([
        [a, '1'],
        [a, '2'],
      ]);
    } finally {
      await Promise.all([listener.quit(), client.quit()]);
    }
  });
});

describe('the apply script on a Redis of its own', () => {
  it("when a new user's profile is its only change in the call, then its hash is not read; with another change it is", async () => {
    // A server of the test's own: INFO commandstats counts every client's commands.
    const servers = await startTestRedisServers(['view']);
    const client = new Redis({ port: servers.ports.view });
    try {
      const own = createRedisViewStore({ redis: client, prefix: uniqueName('view-script') });
      const calls = async (command: string) =>
        Number(
          new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(
            await client.info('commandstats'),
          )?.[1] ?? 0,
        );
      const [ada, bob] = [randomUUID(), randomUUID()];

      await own.apply([profile(ada, at(0, 0, 'new-user-created'))], LIVE);
      expect([await calls('hgetall'), await calls('exists')]).toEqual([0, 1]);

      await own.apply([profile(bob, at(1, 0, 'new-user-created')), token(bob, at(0))], LIVE);
      expect([await calls('hgetall'), await calls('exists')]).toEqual([1, 1]);
    } finally {
      client.disconnect();
      await servers.stop();
    }
  });
});

describe('the view registry on a single Redis upgraded from untagged keys', () => {
  it('when the old keys hold a rebuilt view, then the registry keeps it and counts on', async () => {
    const redis = new Redis(testInfrastructure().redisUrl);
    const prefix = uniqueName('view-registry');
    try {
      const legacy = legacyRegistryKeys(prefix);
      await redis
        .multi()
        .set(legacy.active, 'v3')
        .sadd(legacy.writing, 'v3')
        .set(legacy.sequence, '3')
        .exec();
      const registry = createViewRegistry({ redis, prefix });
      expect(await registry.initialize()).toEqual({
        active: 'v3',
        writing: ['v3'],
        created: false,
      });
      expect(await registry.beginRebuild()).toBe('v4');
      expect(await redis.exists(legacy.active, legacy.writing, legacy.sequence)).toBe(0);
    } finally {
      await redis.quit();
    }
  });
});

describe('view writes that must reach a replica (REDIS_WAIT_REPLICAS=1)', () => {
  const clients: RedisClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.quit()));
  });
  const track = <T extends RedisClient>(client: T) => {
    clients.push(client);
    return client;
  };

  it('when every master of a cluster has a replica, then apply asks each master to WAIT and resolves once its replica acknowledged', async () => {
    const cluster = track(newCluster());
    const prefix = uniqueName('view-store-wait');
    const waiting = createRedisViewStore({ redis: cluster, prefix, waitReplicas: 1 });
    const users = Array.from({ length: 12 }, () => randomUUID());
    const waits = async () => {
      let calls = 0;
      for (const node of cluster.nodes('master')) {
        const stats = await node.info('commandstats');
        calls += Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      }
      return calls;
    };
    await cluster.ping();
    const before = await waits();

    const outcomes = await waiting.apply(
      users.map((user, offset) => token(user, at(offset))),
      LIVE,
    );

    expect(outcomes).toEqual(users.map(() => 'applied'));
    // One WAIT per master (other tests may add theirs meanwhile, never fewer).
    expect((await waits()) - before).toBeGreaterThanOrEqual(cluster.nodes('master').length);
  });

  it('when Redis has no replica, then apply rejects naming the setting, and the same batch applies once when it is retried', async () => {
    const single = track(newRedis());
    const prefix = uniqueName('view-store-wait');
    const user = randomUUID();
    const batch = [token(user, at(0)), token(user, at(1))];

    await expect(
      createRedisViewStore({ redis: single, prefix, waitReplicas: 1 }).apply(batch, LIVE),
    ).rejects.toThrow(/reached 0 of 1 replica\(s\) within 1000 ms \(REDIS_WAIT_REPLICAS\)/);
    // Held, then handled again (here by a store that waits for none): nothing counted twice.
    expect(await createRedisViewStore({ redis: single, prefix }).apply(batch, LIVE)).toEqual([
      'duplicate',
      'duplicate',
    ]);
    expect(await single.hget(viewKeys(prefix).user('v1', user), 'tokensIssued')).toBe('2');
  });
});
