import { type RedisClient, waitForReplicas, writeConnection } from '@kafka-ecs/service-kit';
import { Cluster, type Redis } from 'ioredis';
import type { UserPage, UserView } from '../domain/user-view.ts';
import type { EventChange, ViewChange } from '../domain/view-change.ts';
import { APPLY_CHANGES_SCRIPT } from './apply-change.script.ts';
import { USERS_INDEX_SHARDS, usersIndexShard, viewKeys } from './view-keys.ts';

/**
 * Event ids remembered per user, for the rare event published twice and for retries: bounded, so
 * a user's marks weigh the same after ten events as after a million (docs/architecture.md).
 */
export const DEDUPE_WINDOW = 8;

/** Changes per script call: a script blocks Redis while it runs, so about a millisecond each. */
export const SCRIPT_CHANGES_MAX = 500;

/** Where a record was read: the source of the offset marks. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** A change and where its record was read; null for a retry or an operator's replay. */
export interface ChangeToApply extends EventChange {
  position: RecordPosition | null;
}

/** Where one batch is written. */
export interface WriteTarget {
  /**
   * Every view to write; the first one's outcome is reported, and only it notifies. For the live
   * writer, the readers' view comes first and any other is one a rebuild is filling.
   */
  views: string[];
  /** Publish each applied change (only when someone listens: a publish costs Redis CPU). */
  notify: boolean;
  /** Whose offset marks: the live consumer's, or a rebuild's (see apply-change.script.ts). */
  writer: 'live' | 'rebuild';
}

/** Per change: applied now, applied before (same event id), or rejected by Redis. */
export type ApplyOutcome = 'applied' | 'duplicate' | Error;

export interface ViewStore {
  /**
   * Writes the changes in one round trip. Rejects when Redis cannot be reached or cannot write,
   * so the caller keeps the batch uncommitted (a batch applied in part is safe to apply again: the
   * marks are written with each user's changes); a change the store does not accept is returned
   * as an Error in its outcome.
   */
  apply(changes: ChangeToApply[], target: WriteTarget): Promise<ApplyOutcome[]>;
  user(view: string, id: string): Promise<UserView | null>;
  users(view: string, page: { first: number; after: string | null }): Promise<UserPage>;
  /** Deletes every key of `view`; returns how many. */
  dropView(view: string): Promise<number>;
}

export type { RedisClient };

/** The apply script's command, which the store defines on its client (apply-change.script.ts). */
export interface ApplyScriptClient {
  applyViewChanges(numberOfKeys: number, ...args: (string | Buffer)[]): Promise<number[]>;
}

type ViewRedis = RedisClient & ApplyScriptClient;

const VIEW_FIELDS = [
  'id',
  'username',
  'email',
  'firstName',
  'lastName',
  'createdAt',
  'tokensIssued',
  'lastTokenIssuedAt',
] as const;

/** An opaque cursor for `users`: the index member, base64url. */
export const encodeUsersCursor = (member: string): string =>
  Buffer.from(member, 'utf8').toString('base64url');

/** The index member a cursor stands for, or null when the cursor is not one of ours. */
export function decodeUsersCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const member = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^\d{4}-\d\d-\d\dT[\d:.]+Z\|.+/.test(member) ? member : null;
}

/**
 * Writes a change's 6 script values (apply-change.script.ts `apply`) into `values` from `at`: a
 * name '' absent, '=…' present. In place, not an array per change spread into the call's: that
 * was ~370 bytes of garbage an event (docs/performance.md, "The store's values in place").
 */
function putChangeValues(values: string[], at: number, change: ViewChange): void {
  // A kind this version does not know (a handler ahead of the store) keeps all '': the script
  // refuses it alone.
  values.fill('', at, at + 6);
  if (change.kind === 'token-issued') values[at] = change.issuedAt;
  else if (change.kind === 'profile') {
    const { id, username, email, createdAt, firstName, lastName } = change.profile;
    values[at] = id;
    values[at + 1] = username;
    values[at + 2] = email;
    values[at + 3] = createdAt;
    if (firstName !== null) values[at + 4] = `=${firstName}`;
    if (lastName !== null) values[at + 5] = `=${lastName}`;
  }
}

/**
 * Values packed for the script's `struct.unpack`: each a 4-byte big-endian length, then its UTF-8
 * bytes. One argument for a whole call: as separate arguments, the 11 values of each change cost
 * the client an encoding each and Redis an object each (docs/performance.md).
 */
export function packChanges(values: readonly string[]): Buffer {
  // Written into room for the longest UTF-8 a string can take (3 bytes per UTF-16 unit), then
  // copied out at its size: measuring each value first was a native call per value, 40 % of the
  // packing, and the room itself, ~3x the bytes, would stay allocated until Redis replies.
  let room = 0;
  for (const value of values) room += 4 + 3 * value.length;
  if (packRoom.length < room) packRoom = Buffer.allocUnsafe(room);
  let at = 0;
  for (const value of values) {
    // The bytes first, then their count before them: `write` returns it.
    const length = packRoom.write(value, at + 4, 'utf8');
    packRoom.writeUInt32BE(length, at);
    at += 4 + length;
  }
  return Buffer.from(packRoom.subarray(0, at));
}

/**
 * Reused by every packing (one call's values at a time, synchronously). It grows to the largest
 * call's room and stays: a call holds one batch's changes at most, and a batch is a partition's
 * share of a fetch (256 KiB, fetch-limits.ts), about 0.8 MB of room; more only after a single
 * record larger than that.
 */
let packRoom = Buffer.allocUnsafe(0);

/** Values a change takes in the packed argument: key index, source, offset, id, kind, and 6. */
const VALUES_PER_CHANGE = 11;

/**
 * One script call's users (KEYS, in order, once each) and its changes' values packed; the same
 * for every view, whose user keys are made from `userIds`.
 */
function scriptArguments(changes: ChangeToApply[]): { userIds: string[]; changes: Buffer } {
  const userIndex = new Map<string, number>();
  const values = new Array<string>(changes.length * VALUES_PER_CHANGE);
  // A batch is one partition's records: its source is made once, not per change.
  let source: RecordPosition | null = null;
  let sourceName = '';
  let at = 0;
  for (const { eventId, change, position } of changes) {
    let index = userIndex.get(change.userId);
    if (index === undefined) {
      index = userIndex.size + 1;
      userIndex.set(change.userId, index);
    }
    if (
      position &&
      (source === null ||
        position.topic !== source.topic ||
        position.partition !== source.partition)
    ) {
      source = position;
      sourceName = `${position.topic}/${position.partition}`;
    }
    values[at] = String(index);
    values[at + 1] = position ? sourceName : '';
    values[at + 2] = position?.offset ?? '0';
    values[at + 3] = eventId;
    values[at + 4] = change.kind;
    putChangeValues(values, at + 5, change);
    at += VALUES_PER_CHANGE;
  }
  return { userIds: [...userIndex.keys()], changes: packChanges(values) };
}

/**
 * The script's writer for the view at `index`: the live writer's second view is one a rebuild is
 * filling, where it records the first offset it wrote (the rebuild leaves the rest to it).
 */
const scriptWriter = (writer: WriteTarget['writer'], index: number) =>
  writer === 'live' && index > 0 ? 'live-beside-rebuild' : writer;

/** The script's codes in the order of the changes, from calls that each took some of them. */
function outcomesInOrder(calls: number[][], replies: number[][], count: number): number[] {
  const codes = new Array<number>(count).fill(-1);
  calls.forEach((call, c) => {
    call.forEach((index, i) => {
      codes[index] = replies[c]?.[i] ?? -1;
    });
  });
  return codes;
}

/**
 * ZADD's score-member pairs of the users index the batch's profiles add, by shard (every score
 * 0: the members' order is the index's).
 */
function indexMembers(changes: ChangeToApply[]): Map<number, string[]> {
  const byShard = new Map<number, string[]>();
  for (const { change } of changes) {
    if (change.kind !== 'profile') continue;
    const shard = usersIndexShard(change.userId);
    const member = `${change.profile.createdAt}|${change.userId}`;
    const pairs = byShard.get(shard);
    if (pairs) pairs.push('0', member);
    else byShard.set(shard, ['0', member]);
  }
  return byShard;
}

/**
 * The changes each script call takes (indices into `changes`), every user's changes in one call
 * and in their order. A script may only touch keys of one slot on a cluster: there a call holds
 * one user (a user is one key); on a single Redis a call holds whole users, up to
 * SCRIPT_CHANGES_MAX changes (more only for one user who has more).
 */
export function scriptCalls(changes: ChangeToApply[], cluster: boolean): number[][] {
  const byUser = new Map<string, number[]>();
  changes.forEach(({ change }, index) => {
    const mine = byUser.get(change.userId);
    if (mine) mine.push(index);
    else byUser.set(change.userId, [index]);
  });
  if (cluster) return [...byUser.values()];
  // Whole users per call: were a user's changes split over two calls and only the second
  // written, its offset mark would cover the first call's changes, never applied.
  const calls: number[][] = [];
  let call: number[] = [];
  for (const mine of byUser.values()) {
    if (call.length > 0 && call.length + mine.length > SCRIPT_CHANGES_MAX) {
      calls.push(call);
      call = [];
    }
    call.push(...mine);
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

export function createRedisViewStore(deps: {
  redis: RedisClient;
  prefix: string;
  /**
   * Replicas (per master) that must hold a batch's writes before `apply` resolves, and so before
   * its offsets are committed: Redis replicates asynchronously, and a master lost right after
   * acknowledging would take the last writes with it while Kafka counts them done. @defaultValue 0
   */
  waitReplicas?: number;
}): ViewStore {
  const redis = deps.redis as ViewRedis;
  const cluster = redis instanceof Cluster;
  const waitReplicas = deps.waitReplicas ?? 0;
  const keys = viewKeys(deps.prefix);
  // defineCommand sends EVALSHA and reloads the script itself after a Redis restart (NOSCRIPT).
  redis.defineCommand('applyViewChanges', { lua: APPLY_CHANGES_SCRIPT });

  const readUser = async (view: string, id: string) =>
    toUserView(viewHash(await redis.hmget(keys.user(view, id), ...VIEW_FIELDS)));

  return {
    async apply(changes, target) {
      if (changes.length === 0) return [];
      const members = [...indexMembers(changes)];
      const calls = scriptCalls(changes, cluster);
      // The scripts' arguments are made before anything is sent: were making them to throw, no
      // command would be left in flight with nobody waiting for its reply.
      const scripts = calls.map((call) =>
        scriptArguments(call.map((index) => changes[index] as ChangeToApply)),
      );
      const writtenOn = writeConnection(redis);
      const writes = target.views.map((view, v) => {
        const writer = scriptWriter(target.writer, v);
        const channel = v === 0 && target.notify ? keys.notifications : '';
        // The index first: a member whose profile is not written yet is skipped by readers,
        // while a profile without its member would be missing from every page.
        const indexed = members.map(([shard, pairs]) =>
          redis.zadd(keys.usersIndex(view, shard), ...pairs),
        );
        const applied = scripts.map(({ userIds, changes: packed }) =>
          redis.applyViewChanges(
            userIds.length,
            ...userIds.map((userId) => keys.user(view, userId)),
            writer,
            channel,
            String(DEDUPE_WINDOW),
            packed,
          ),
        );
        return Promise.all([...indexed, ...applied]).then((replies) =>
          outcomesInOrder(calls, replies.slice(indexed.length) as number[][], changes.length),
        );
      });
      // Every view written, or the batch is held: an error of any view's write throws.
      const results = await Promise.all(writes);
      await waitForReplicas(redis, waitReplicas, "the view's writes", { writtenOn });
      const primary = results[0] ?? [];
      return changes.map(({ change }, index) => {
        const code = primary[index];
        if (code === 1) return 'applied';
        if (code === 0) return 'duplicate';
        return new Error(`the view store does not accept this ${change.kind} change`);
      });
    },

    user: readUser,

    async users(view, { first, after }) {
      const shards = Array.from({ length: USERS_INDEX_SHARDS }, (_, shard) =>
        keys.usersIndex(view, shard),
      );
      const start = after === null ? '-' : `(${after}`;
      // Each shard's next members, merged: the first `first + 1` of all shards in member order.
      const [counts, ranges] = await Promise.all([
        Promise.all(shards.map((shard) => redis.zcard(shard))),
        Promise.all(
          shards.map((shard) => redis.zrangebylex(shard, start, '+', 'LIMIT', 0, first + 1)),
        ),
      ]);
      const members = ranges
        .flat()
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, first + 1);
      const page = members.slice(0, first);
      const users = await Promise.all(
        page.map((member) => readUser(view, member.slice(member.indexOf('|') + 1))),
      );
      const last = page.at(-1);
      return {
        totalCount: counts.reduce((sum, count) => sum + count, 0),
        nodes: users.filter((user): user is UserView => user !== null),
        endCursor: last === undefined ? null : encodeUsersCursor(last),
        hasNextPage: members.length > first,
      };
    },

    async dropView(view) {
      let deleted = 0;
      // A cluster's keys are spread over its masters: each is scanned for its own.
      for (const node of cluster ? (redis as Cluster).nodes('master') : [redis as Redis]) {
        const stream = node.scanStream({ match: keys.viewPattern(view), count: 500 });
        for await (const batch of stream as AsyncIterable<string[]>) {
          // One key at a time on a cluster: UNLINK of several keys must stay in one slot.
          if (cluster) for (const key of batch) deleted += await node.unlink(key);
          else if (batch.length > 0) deleted += await node.unlink(...batch);
        }
      }
      return deleted;
    },
  };
}

/** HMGET's answer for VIEW_FIELDS as a hash (the marks beside them are never read). */
function viewHash(values: (string | null)[]): Record<string, string> {
  const hash: Record<string, string> = {};
  VIEW_FIELDS.forEach((field, index) => {
    const value = values[index];
    if (value !== null && value !== undefined) hash[field] = value;
  });
  return hash;
}

/** A user hash as the API type; null until the user's profile has been applied. */
export function toUserView(hash: Record<string, string>): UserView | null {
  if (!hash.username || !hash.id || !hash.email || !hash.createdAt) return null;
  return {
    id: hash.id,
    username: hash.username,
    email: hash.email,
    firstName: hash.firstName ?? null,
    lastName: hash.lastName ?? null,
    createdAt: hash.createdAt,
    tokensIssued: Number(hash.tokensIssued ?? 0),
    lastTokenIssuedAt: hash.lastTokenIssuedAt ?? null,
  };
}
