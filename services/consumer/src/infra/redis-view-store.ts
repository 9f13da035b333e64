import type { ChainableCommander, Redis } from 'ioredis';
import type { UserPage, UserView } from '../domain/user-view.ts';
import type { EventChange } from '../domain/view-change.ts';
import { APPLY_CHANGE_SCRIPT } from './apply-change.script.ts';
import { viewKeys } from './view-keys.ts';

/** Redis error replies that describe the server's state, not the record: hold and retry. */
const TRANSIENT_REPLY = /^(OOM|READONLY|MISCONF|BUSY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

/** Where one batch is written: every view in `views`; only `notifyView` publishes notifications. */
export interface WriteTarget {
  views: string[];
  notifyView: string | null;
}

/** Per change: applied now, applied before (same event id), or rejected by Redis. */
export type ApplyOutcome = 'applied' | 'duplicate' | Error;

export interface ViewStore {
  /**
   * Writes the changes in one round trip (a pipeline of atomic scripts, in order). Rejects when
   * Redis cannot be reached, so the caller keeps the batch uncommitted; an error Redis answered
   * for one change is returned in that change's outcome.
   */
  apply(changes: EventChange[], target: WriteTarget): Promise<ApplyOutcome[]>;
  user(view: string, id: string): Promise<UserView | null>;
  users(view: string, page: { first: number; after: string | null }): Promise<UserPage>;
  /** Deletes every key of `view`; returns how many. */
  dropView(view: string): Promise<number>;
}

type ViewPipeline = ChainableCommander & {
  applyViewChange(...args: string[]): ChainableCommander;
};

/** An opaque cursor for `users`: the index member, base64url. */
export const encodeUsersCursor = (member: string): string =>
  Buffer.from(member, 'utf8').toString('base64url');

/** The index member a cursor stands for, or null when the cursor is not one of ours. */
export function decodeUsersCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const member = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^\d{4}-\d\d-\d\dT[\d:.]+Z\|.+/.test(member) ? member : null;
}

export function createRedisViewStore(deps: { redis: Redis; prefix: string }): ViewStore {
  const { redis } = deps;
  const keys = viewKeys(deps.prefix);
  // defineCommand sends EVALSHA and reloads the script itself after a Redis restart (NOSCRIPT).
  redis.defineCommand('applyViewChange', { numberOfKeys: 3, lua: APPLY_CHANGE_SCRIPT });

  return {
    async apply(changes, target) {
      if (changes.length === 0) return [];
      const pipeline = redis.pipeline() as ViewPipeline;
      for (const view of target.views) {
        const channel = view === target.notifyView ? keys.notifications : '';
        for (const { eventId, change } of changes) {
          pipeline.applyViewChange(
            keys.user(view, change.userId),
            keys.applied(view, change.userId),
            keys.usersIndex(view),
            eventId,
            change.kind,
            channel,
            JSON.stringify(change),
          );
        }
      }
      const replies = (await pipeline.exec()) ?? [];
      const primary = Math.max(0, target.views.indexOf(target.notifyView ?? ''));
      return changes.map((_change, index) => {
        let outcome: ApplyOutcome | undefined;
        for (let v = 0; v < target.views.length; v++) {
          const [error, result] = replies[v * changes.length + index] ?? [new Error('no reply')];
          if (error) {
            // No answer (connection lost, timeout) or a refusal of the server's state (out of
            // memory, read-only replica, loading…) is an outage: throw, so the batch is held.
            // Only the script's own verdict on this record is a per-record outcome.
            if (error.name !== 'ReplyError' || TRANSIENT_REPLY.test(error.message)) throw error;
            outcome ??= error;
          } else if (v === primary && outcome === undefined) {
            outcome = result === 1 ? 'applied' : 'duplicate';
          }
        }
        return outcome ?? 'duplicate';
      });
    },

    async user(view, id) {
      return toUserView(await redis.hgetall(keys.user(view, id)));
    },

    async users(view, { first, after }) {
      const index = keys.usersIndex(view);
      const [totalCount, members] = await Promise.all([
        redis.zcard(index),
        redis.zrangebylex(index, after === null ? '-' : `(${after}`, '+', 'LIMIT', 0, first + 1),
      ]);
      const page = members.slice(0, first);
      const pipeline = redis.pipeline();
      for (const member of page)
        pipeline.hgetall(keys.user(view, member.slice(member.indexOf('|') + 1)));
      const hashes = page.length > 0 ? ((await pipeline.exec()) ?? []) : [];
      const nodes = hashes
        .map(([error, hash]) => {
          if (error) throw error;
          return toUserView(hash as Record<string, string>);
        })
        .filter((user): user is UserView => user !== null);
      const last = page.at(-1);
      return {
        totalCount,
        nodes,
        endCursor: last === undefined ? null : encodeUsersCursor(last),
        hasNextPage: members.length > first,
      };
    },

    async dropView(view) {
      let deleted = 0;
      const stream = redis.scanStream({ match: keys.viewPattern(view), count: 500 });
      for await (const batch of stream as AsyncIterable<string[]>) {
        if (batch.length > 0) deleted += await redis.unlink(...batch);
      }
      return deleted;
    },
  };
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
