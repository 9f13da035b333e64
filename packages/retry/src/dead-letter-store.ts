import { createHash } from 'node:crypto';
import { KafkaEcsError } from '@kafka-ecs/errors';
import type { DeadLetterReason } from '@kafka-ecs/events';
import type { SourceRecord } from './failure-chain.ts';
import type { RedisClient } from './redis-client.ts';

export interface DeadLetterHistoryEntry {
  at: string;
  action: 'dead-lettered' | 'replay-failed' | 'replayed' | 'discarded';
  attempt: number;
  reason?: DeadLetterReason;
  errorName?: string;
  errorMessage?: string;
  /** The operator who replayed or discarded it (from their token). */
  actor?: string;
  /** Why an operator discarded it. */
  note?: string;
}

/**
 * One dead letter as operators see it: the original record as it was read (its own headers
 * only), why it failed, what was done.
 */
export interface DeadLetter extends SourceRecord {
  /** `<original topic>:<partition>:<offset>`: one dead letter per original record. */
  id: string;
  /** Failed attempts, replays included. */
  attempts: number;
  reason: DeadLetterReason;
  errorName: string;
  errorMessage: string;
  firstFailureAt: string;
  /** When it was dead-lettered. */
  failedAt: string;
  consumerGroup: string;
  /** Where the dead letter itself sits on the dead-letter topic. */
  deadLetterPartition: number;
  deadLetterOffset: string;
  /** Only `dead` ones are listed; the others are kept 30 days with their history. */
  status: 'dead' | 'replayed' | 'discarded';
  history: DeadLetterHistoryEntry[];
}

export interface DeadLetterFilter {
  topic?: string;
  reason?: DeadLetterReason;
  /** Case-insensitive substring of the error name or message. */
  errorContains?: string;
  /** The record key, exactly (as UTF-8 text). */
  key?: string;
  since?: Date;
  until?: Date;
}

export interface DeadLetterPage {
  totalCount: number;
  nodes: DeadLetter[];
  endCursor: string | null;
  hasNextPage: boolean;
}

export interface DeadLetterStore {
  /** Indexes a dead letter read from the topic; false when that record was indexed before. */
  index(deadLetter: DeadLetter): Promise<boolean>;
  get(id: string): Promise<DeadLetter | null>;
  /**
   * Newest first. Rejects a cursor it did not issue with InvalidCursorError. `count: false`
   * skips totalCount (0), which a filter the index cannot answer pays by reading every entry.
   */
  list(
    filter: DeadLetterFilter,
    page: { first: number; after?: string | null; count?: boolean },
  ): Promise<DeadLetterPage>;
  /** Replay succeeded: off the list, kept (with its history) for `keepReplayedMs`. */
  markReplayed(id: string, entry: DeadLetterHistoryEntry): Promise<void>;
  /** Replay failed: stays listed, with one more attempt and the error in its history. */
  recordReplayFailure(id: string, entry: DeadLetterHistoryEntry): Promise<void>;
  /** Discarded by an operator: off the list, kept like a replayed one (the topic keeps it too). */
  markDiscarded(id: string, entry: DeadLetterHistoryEntry): Promise<void>;
}

export class InvalidCursorError extends KafkaEcsError {}

/**
 * Most index entries one listing reads (a chunk at a time, so up to a chunk more): bounds the
 * work of a request whose filter the index cannot answer (error text, key, topic and reason
 * together). A page that reaches it unfilled says so (hasNextPage, a cursor past what it read),
 * and such a filter's totalCount counts the newest this many at most.
 */
export const DEAD_LETTER_MAX_SCAN = 20_000;
const SCAN_CHUNK = 500;
const KEEP_REPLAYED_MS = 30 * 24 * 3600 * 1000;

/**
 * The dead letters of one consumer group, indexed in Redis as they arrive on the dead-letter
 * topic: one JSON document per dead letter, and sorted sets by failure time (all, per original
 * topic, per reason) for newest-first listings with stable cursors.
 */
export function createDeadLetterStore(deps: {
  redis: RedisClient;
  prefix: string;
  /** @defaultValue DEAD_LETTER_MAX_SCAN */
  maxScan?: number;
}): DeadLetterStore {
  const { redis, prefix } = deps;
  const MAX_SCAN = deps.maxScan ?? DEAD_LETTER_MAX_SCAN;
  const keys = {
    item: (id: string) => `${prefix}:item:${id}`,
    all: `${prefix}:index:all`,
    topic: (topic: string) => `${prefix}:index:topic:${topic}`,
    reason: (reason: string) => `${prefix}:index:reason:${reason}`,
  };
  const indexesOf = (letter: DeadLetter) => [
    keys.all,
    keys.topic(letter.topic),
    keys.reason(letter.reason),
  ];

  const get = async (id: string) => {
    const json = await redis.get(keys.item(id));
    return json === null ? null : parse(json);
  };
  const save = (letter: DeadLetter) => redis.set(keys.item(letter.id), serialize(letter));

  return {
    async index(letter) {
      const existing = await get(letter.id);
      // The same dead letter again: redelivered to the indexer, or a second copy of the same
      // failure chain on the topic (a zombie's commit). One chain is one dead letter: it is not
      // counted twice, and a replayed one does not come back.
      if (existing && existing.firstFailureAt === letter.firstFailureAt) return false;
      const merged: DeadLetter = {
        ...letter,
        history: [...(existing?.history ?? []), ...letter.history],
      };
      const score = Date.parse(letter.failedAt);
      const multi = redis
        .multi()
        .set(keys.item(letter.id), serialize(merged))
        .persist(keys.item(letter.id));
      for (const index of indexesOf(merged)) multi.zadd(index, score, letter.id);
      await multi.exec();
      return true;
    },

    get,

    async list(filter, { first, after, count = true }) {
      const cursor = after ? decodeCursor(after) : null;
      const source = filter.topic
        ? keys.topic(filter.topic)
        : filter.reason
          ? keys.reason(filter.reason)
          : keys.all;
      const max = filter.until ? String(filter.until.getTime()) : '+inf';
      const min = filter.since ? String(filter.since.getTime()) : '-inf';
      const needle = filter.errorContains?.toLowerCase();
      const secondary = (letter: DeadLetter) =>
        (!filter.reason || letter.reason === filter.reason) &&
        (filter.key === undefined || letter.key?.toString('utf8') === filter.key) &&
        (!needle ||
          letter.errorName.toLowerCase().includes(needle) ||
          letter.errorMessage.toLowerCase().includes(needle));
      const filtered =
        Boolean(needle) || filter.key !== undefined || Boolean(filter.topic && filter.reason);

      const nodes: { letter: DeadLetter; position: Position }[] = [];
      let hasNextPage = false;
      // Walk newest first from after the cursor, in chunks, until the page is full (plus one, to
      // know whether there is a next page). A batch's dead letters share one millisecond, so a
      // score may hold more entries than a chunk: `offset` counts the entries of the score
      // `upper` already passed. Each read starts RE_READ entries before it, and `behind` (the
      // cursor, then the last entry read) drops what was taken: entries removed ahead of the walk
      // between two reads (a replay meanwhile) would otherwise shift the rest past the offset.
      const fromCursor = cursor !== null && (max === '+inf' || cursor.score <= Number(max));
      let upper = fromCursor ? String(cursor.score) : max;
      let offset = fromCursor ? await tiesUpTo(source, cursor) : 0;
      let behind: Position | null = cursor;
      let scanned = 0;
      // Whether the walk stopped at MAX_SCAN after a full chunk: there may be more to read.
      let cutShort = false;
      for (;;) {
        if (scanned >= MAX_SCAN) {
          cutShort = true;
          break;
        }
        const from = Math.max(0, offset - RE_READ);
        const chunk = await redis.zrevrangebyscore(
          source,
          upper,
          min,
          'WITHSCORES',
          'LIMIT',
          from,
          SCAN_CHUNK,
        );
        // Each entry with its place among the entries of its score (members of equal score
        // come in reverse lexical order): `from` onwards at the score `upper`, 1 onwards below.
        const entries: Position[] = [];
        for (let i = 0; i < chunk.length; i += 2) {
          const score = Number(chunk[i + 1]);
          const previous = entries.at(-1);
          const ties =
            previous?.score === score ? previous.ties + 1 : String(score) === upper ? from + 1 : 1;
          entries.push({ id: chunk[i] as string, score, ties });
        }
        const fresh = entries.filter((entry) => !behind || isAfter(entry, behind));
        scanned += entries.length;
        const letters = await Promise.all(fresh.map((entry) => get(entry.id)));
        for (const [index, letter] of letters.entries()) {
          if (!letter || !secondary(letter)) continue;
          if (nodes.length === first) {
            hasNextPage = true;
            break;
          }
          nodes.push({ letter, position: fresh[index] as Position });
        }
        if (hasNextPage || entries.length < SCAN_CHUNK) break;
        const last = entries.at(-1) as Position;
        offset = last.ties;
        upper = String(last.score);
        if (!behind || isAfter(last, behind)) behind = last;
      }
      const totalCount = !count
        ? 0
        : filtered
          ? await countMatching(source, min, max, secondary)
          : await redis.zcount(source, min, max);
      // Cut short with the page unfilled: the caller pages on from the last entry read, which
      // is past the cursor it gave; or, when every entry read came before that cursor (its
      // entry has left the index and its count was lost or stale), from the same cursor
      // further into its tie. Either way paging moves on.
      if (!hasNextPage && cutShort && behind) {
        const resume =
          !cursor || isAfter(behind, cursor)
            ? behind
            : { ...cursor, ties: Math.max(cursor.ties, offset) };
        return {
          totalCount,
          nodes: nodes.map((node) => node.letter),
          endCursor: encodeCursor(resume, source),
          hasNextPage: true,
        };
      }
      const last = nodes.at(-1);
      return {
        totalCount,
        nodes: nodes.map((node) => node.letter),
        endCursor: last ? encodeCursor(last.position, source) : null,
        hasNextPage,
      };
    },

    markReplayed: (id, entry) => unlist(id, 'replayed', entry),
    markDiscarded: (id, entry) => unlist(id, 'discarded', entry),

    async recordReplayFailure(id, entry) {
      const letter = await get(id);
      if (!letter) return;
      await save({
        ...letter,
        attempts: entry.attempt,
        errorName: entry.errorName ?? letter.errorName,
        errorMessage: entry.errorMessage ?? letter.errorMessage,
        history: [...letter.history, entry],
      });
    },
  };

  /** Off the list, kept (with its history) for KEEP_REPLAYED_MS. */
  async function unlist(
    id: string,
    status: 'replayed' | 'discarded',
    entry: DeadLetterHistoryEntry,
  ): Promise<void> {
    const letter = await get(id);
    if (!letter) return;
    const updated: DeadLetter = { ...letter, status, history: [...letter.history, entry] };
    const multi = redis.multi().set(keys.item(id), serialize(updated), 'PX', KEEP_REPLAYED_MS);
    for (const index of indexesOf(letter)) multi.zrem(index, id);
    await multi.exec();
  }

  /**
   * How many entries of the cursor's score the walk passes up to and including the cursor: its
   * rank among them now, or, when it is no longer indexed at that score (replayed, discarded or
   * failed again since), where it was when its page was read (the re-read margin and `behind`
   * absorb entries removed before it since).
   */
  async function tiesUpTo(source: string, cursor: Cursor): Promise<number> {
    const [rank, score, higher] = await Promise.all([
      redis.zrevrank(source, cursor.id),
      redis.zscore(source, cursor.id),
      redis.zcount(source, `(${cursor.score}`, '+inf'),
    ]);
    if (rank !== null && score !== null && Number(score) === cursor.score) {
      return Math.max(0, rank - higher + 1);
    }
    // A count taken in another index (a cursor of another filter) means nothing here: the
    // comparison with the cursor alone skips what comes before it.
    return cursor.index === indexTag(source) ? cursor.ties : 0;
  }

  async function countMatching(
    source: string,
    min: string,
    max: string,
    matches: (letter: DeadLetter) => boolean,
  ): Promise<number> {
    const ids = await redis.zrevrangebyscore(source, max, min, 'LIMIT', 0, MAX_SCAN);
    let count = 0;
    for (let i = 0; i < ids.length; i += SCAN_CHUNK) {
      const letters = await Promise.all(ids.slice(i, i + SCAN_CHUNK).map((id) => get(id)));
      count += letters.filter((letter) => letter && matches(letter)).length;
    }
    return count;
  }
}

function serialize(letter: DeadLetter): string {
  return JSON.stringify({
    ...letter,
    key: letter.key?.toString('base64') ?? null,
    value: letter.value?.toString('base64') ?? null,
  });
}

function parse(json: string): DeadLetter {
  const stored = JSON.parse(json) as Omit<DeadLetter, 'key' | 'value'> & {
    key: string | null;
    value: string | null;
  };
  return {
    ...stored,
    key: stored.key === null ? null : Buffer.from(stored.key, 'base64'),
    value: stored.value === null ? null : Buffer.from(stored.value, 'base64'),
  };
}

/**
 * A place in an index: the entry's score and id, and how many entries of its score come up to
 * and including it newest first (where a page resumes should the entry leave the index).
 */
interface Position {
  score: number;
  id: string;
  ties: number;
}

/** A cursor: a place, and a tag of the index it was counted in. */
interface Cursor extends Position {
  index: string;
}

/** A short tag of an index's key, so a cursor's count is used only in the index it counted. */
const indexTag = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 8);

/** Entries re-read before a walk's offset; see `list`. */
const RE_READ = 50;

// `v2|`: a consumer of the version before, during a rolling deploy, refuses this cursor
// (InvalidCursorError) instead of reading its count as part of the id.
const encodeCursor = (position: Position, index: string) =>
  Buffer.from(
    `v2|${indexTag(index)}|${position.score}|${position.ties}|${position.id}`,
    'utf8',
  ).toString('base64url');

/** Whether `entry` comes after `than` newest first: older, or as old and lower in lexical order. */
function isAfter(entry: { score: number; id: string }, than: { score: number; id: string }) {
  return entry.score < than.score || (entry.score === than.score && entry.id < than.id);
}

/** A cursor of this version, or of the one before (no count: a page resumes by id alone). */
function decodeCursor(cursor: string): Cursor {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  const match = /^(?:v2\|([\w-]{8})\|(\d+)\|(\d+)\||(\d+)\|)(.+)$/.exec(text);
  if (!match) throw new InvalidCursorError('after is not a cursor returned by deadLetters');
  return {
    index: match[1] ?? '',
    score: Number(match[2] ?? match[4]),
    ties: Number(match[3] ?? 0),
    id: match[5] as string,
  };
}
