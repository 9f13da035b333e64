import { setTimeout as sleepFor } from 'node:timers/promises';
import { KafkaEcsError } from '@kafka-ecs/errors';
import type { DeadLetterFilter, DeadLetterStore } from './dead-letter-store.ts';
import type { ReplayResult } from './replay.ts';

export interface BulkReplayOptions {
  /** Replay nothing, say what would be. @defaultValue true */
  dryRun?: boolean;
  /** Most dead letters one request replays. @defaultValue 100 (at most 500) */
  limit?: number;
  /** Pace of the replays, so the view's Redis is not flooded. @defaultValue 10 (at most 100) */
  ratePerSecond?: number;
}

export interface BulkReplayResult {
  dryRun: boolean;
  /** Dead letters matching the filter (the limit aside). */
  matched: number;
  replayed: number;
  failed: number;
  /** Replayed elsewhere meanwhile, or being replayed or discarded right now: nothing done. */
  skipped: number;
  /** The dead letters taken (at most `limit`, newest first): replayed, or would be. */
  ids: string[];
}

export const BULK_REPLAY_BOUNDS = {
  defaultLimit: 100,
  maxLimit: 500,
  defaultRate: 10,
  maxRate: 100,
  /**
   * The longest a real run may take (ids ÷ rate): the request answers within a load balancer's
   * usual 60 s idle timeout, so the operator sees the outcome rather than a dropped connection.
   */
  maxSeconds: 50,
} as const;

/** Bad bulk-replay options; the message names the option and its bounds. */
export class InvalidBulkReplayError extends KafkaEcsError {}

/**
 * A run cut short part-way, by a replay that rejected (Redis down) or by the service stopping:
 * what was done so far, for the audit.
 */
export class BulkReplayInterruptedError extends KafkaEcsError {
  readonly result: BulkReplayResult;
  constructor(result: BulkReplayResult, cause: unknown) {
    super(
      `bulk replay stopped after ${result.replayed + result.failed + result.skipped} of ${result.ids.length}`,
      {
        retriable: true,
        cause,
      },
    );
    this.result = result;
  }
}

function bounded(value: number | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidBulkReplayError(`${name} must be an integer from 1 to ${max} (got ${value})`);
  }
  return value;
}

/** The options with their defaults, or InvalidBulkReplayError. */
function bulkReplaySettings(options: BulkReplayOptions) {
  const b = BULK_REPLAY_BOUNDS;
  return {
    dryRun: options.dryRun ?? true,
    limit: bounded(options.limit, 'limit', b.defaultLimit, b.maxLimit),
    ratePerSecond: bounded(options.ratePerSecond, 'ratePerSecond', b.defaultRate, b.maxRate),
  };
}

/**
 * Replays (or, dry, lists) the dead letters matching `filter`, newest first, up to the limit, one
 * at a time at the given pace, each through the single-flight replay. The ids are taken before
 * the first replay: replayed ones leave the list and would move a cursor.
 */
export async function bulkReplay(
  deps: {
    store: DeadLetterStore;
    replay: (id: string) => Promise<ReplayResult>;
    sleep?: (ms: number) => Promise<unknown>;
    now?: () => number;
    /**
     * Aborted when the service stops: the run takes no more dead letters (the one in flight
     * finishes) and rejects with BulkReplayInterruptedError, so it is audited with how far it
     * got instead of holding the shutdown until its end.
     */
    signal?: AbortSignal;
  },
  filter: DeadLetterFilter,
  options: BulkReplayOptions,
): Promise<BulkReplayResult> {
  const { dryRun, limit, ratePerSecond } = bulkReplaySettings(options);
  const sleep = deps.sleep ?? sleepFor;
  const now = deps.now ?? Date.now;
  const { matched, ids } = await select(deps.store, filter, limit, now);
  const result: BulkReplayResult = { dryRun, matched, replayed: 0, failed: 0, skipped: 0, ids };
  // Checked for a dry run too: a dry run must refuse what the real run would refuse.
  const seconds = ids.length / ratePerSecond;
  if (seconds > BULK_REPLAY_BOUNDS.maxSeconds) {
    throw new InvalidBulkReplayError(
      `replaying ${ids.length} dead letters at ${ratePerSecond}/s would take ${Math.ceil(seconds)} s, ` +
        `more than the ${BULK_REPLAY_BOUNDS.maxSeconds} s a request may: raise ratePerSecond or lower limit`,
    );
  }
  if (dryRun) return result;
  const interval = 1_000 / ratePerSecond;
  let next = now();
  // The pace alone fits the bound; slow handlers could still run past it (and past a load
  // balancer's idle timeout), so the run stops taking ids at the deadline: the rest are skipped.
  const deadline = next + BULK_REPLAY_BOUNDS.maxSeconds * 1_000;
  for (const [index, id] of ids.entries()) {
    if (now() >= deadline) {
      result.skipped += ids.length - index;
      break;
    }
    // A fixed pace: the handlers' downstream sees at most ratePerSecond replays a second.
    const wait = next - now();
    if (wait > 0) await sleep(wait);
    // After the pause (at most a second): a stop that came meanwhile is seen before the next.
    if (deps.signal?.aborted)
      throw new BulkReplayInterruptedError({ ...result }, deps.signal.reason);
    next += interval;
    let outcome: ReplayResult['outcome'];
    try {
      outcome = (await deps.replay(id)).outcome;
    } catch (error) {
      throw new BulkReplayInterruptedError({ ...result }, error);
    }
    if (outcome === 'replayed') result.replayed += 1;
    else if (outcome === 'failed') result.failed += 1;
    else result.skipped += 1;
  }
  return result;
}

/**
 * Listings one selection reads at most (each up to the store's scan bound), and for how long it
 * starts another: the selection and the run's 50 s together stay inside a load balancer's 60 s.
 */
const SELECT_PAGES_MAX = 10;
const SELECT_MS_MAX = 5_000;

/**
 * The newest `limit` matching ids. A listing the store cut short at its scan bound (a filter it
 * reads entry by entry) is followed, up to SELECT_PAGES_MAX listings started within
 * SELECT_MS_MAX; the count of matches is the first listing's (with such a filter, among the
 * newest the bound reads).
 */
async function select(
  store: DeadLetterStore,
  filter: DeadLetterFilter,
  limit: number,
  now: () => number,
) {
  const ids: string[] = [];
  let matched = 0;
  let after: string | null = null;
  const until = now() + SELECT_MS_MAX;
  for (
    let listing = 0;
    listing < SELECT_PAGES_MAX && ids.length < limit && (listing === 0 || now() < until);
    listing += 1
  ) {
    // Counted once: with such a filter the count reads every entry again.
    const count = listing === 0;
    const page = await store.list(filter, { first: limit - ids.length, after, count });
    if (count) matched = page.totalCount;
    ids.push(...page.nodes.map((letter) => letter.id));
    if (!page.hasNextPage || page.endCursor === null) break;
    after = page.endCursor;
  }
  return { matched: Math.max(matched, ids.length), ids };
}
