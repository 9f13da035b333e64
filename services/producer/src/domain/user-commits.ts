import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { UsernameTakenError } from './errors.ts';
import type { CommitOutcome, StoredUser, UserStore } from './ports.ts';

/** Why a user whose event is out did not reach the store. */
export type LostCommitReason = 'name-taken' | 'too-many' | 'shutdown';

/**
 * The last step of createUser: a user whose `new-user-created` event is out exists, so its
 * commit must land. A caller waits for a few attempts; past them it is told the commit is not
 * confirmed and the commit goes on in the background until it lands (the store takes the name
 * again if the reservation expired meanwhile: `restored`), is found taken by another user, or
 * the process stops. docs/architecture.md, "Consistency: no half-created user".
 */
export interface UserCommits {
  /**
   * Resolves once the user is committed. Rejects with the store's error after the caller's
   * attempts (the commit goes on in the background), or with UsernameTakenError when another
   * user holds the username.
   */
  commit(user: StoredUser, eventId: string): Promise<void>;
  /** Commits going on in the background. */
  readonly pending: number;
  /**
   * Stops: a round under way ends, a caller's commit is not tried again, each background commit
   * is tried once more (until one fails, for 3 s at most), and the rest are given up (logged,
   * counted lost).
   */
  close(): Promise<void>;
}

/**
 * The caller's attempts and the first pause (doubling): about 3 s of pauses, 13 s at most with
 * each attempt's Redis bound. USERNAME_RESERVATION_TTL_MS' rule (packages/config) counts them;
 * reservation-ttl.test.ts fails when they outgrow it.
 */
export const COMMIT_ATTEMPTS = 5;
export const FIRST_PAUSE_MS = 200;

/** Failures that end a background round (see tryEach). */
const FAILURES_PER_ROUND = 3;

/**
 * How long the shutdown's last try may go on: within main.ts' 10 s deadline with the attempt in
 * flight at its end (3 s at most with its WAIT), or the process exits before logging the rest.
 */
const CLOSE_BUDGET_MS = 3_000;

export interface UserCommitsDeps {
  store: Pick<UserStore, 'commit'>;
  logger: Logger;
  onLost?: (reason: LostCommitReason) => void;
  /** Told how many commits are in the background whenever that changes. */
  onPendingChange?: (pending: number) => void;
  /** Background commits held at most: each holds its user's record, about 0.5 KB. @defaultValue 10000 */
  max?: number;
  /**
   * The background's pause before a round, doubling after each round that met a failure.
   * @defaultValue 1000
   */
  firstDelayMs?: number;
  /**
   * The background's longest pause: short, because a reservation that expired meanwhile leaves
   * the name free for another request until the commit takes it. @defaultValue 5000
   */
  maxDelayMs?: number;
  /** The pause between the caller's attempts. @defaultValue node:timers/promises' setTimeout */
  pause?: (ms: number) => Promise<unknown>;
  /**
   * Runs `fire` after `ms` unless cancelled, as the password hasher's hook does; the default does
   * not keep the process alive (shutdown closes the commits). Tests drive it.
   */
  setTimer?: (fire: () => void, ms: number) => { cancel(): void };
  /** Milliseconds, for the shutdown's budget. @defaultValue Date.now */
  now?: () => number;
}

function unrefTimer(fire: () => void, ms: number): { cancel(): void } {
  const timeout = setTimeout(fire, ms);
  timeout.unref();
  return { cancel: () => clearTimeout(timeout) };
}

export function createUserCommits(deps: UserCommitsDeps): UserCommits {
  const max = deps.max ?? 10_000;
  const firstDelayMs = deps.firstDelayMs ?? 1_000;
  const maxDelayMs = deps.maxDelayMs ?? 5_000;
  const pause = deps.pause ?? sleep;
  const setTimer = deps.setTimer ?? unrefTimer;
  const now = deps.now ?? Date.now;
  const background = new Map<string, { user: StoredUser; eventId: string }>();
  let delayMs = firstDelayMs;
  let scheduled: { cancel(): void } | undefined;
  let round: Promise<void> | undefined;
  let closed = false;

  /** The store's answer, or its error. */
  const attempt = (user: StoredUser): Promise<CommitOutcome | Error> =>
    deps.store
      .commit(user)
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

  const lost = (user: StoredUser, eventId: string, reason: LostCommitReason) => {
    deps.logger.error(
      { userId: user.id, username: user.username, eventId, reason },
      'user not committed: its new-user-created event is out, but the user is not in the store',
    );
    deps.onLost?.(reason);
  };

  const landed = (user: StoredUser, eventId: string, outcome: CommitOutcome, late: boolean) => {
    if (outcome === 'name-taken') lost(user, eventId, 'name-taken');
    else if (outcome === 'restored' || late) {
      deps.logger.warn({ userId: user.id, eventId, outcome, late }, 'user committed');
    }
  };

  /**
   * One round: each commit held once, one at a time, in the order they came, while `goOn`.
   * One that fails goes to the back, and the round ends after `maxFailures`: on a single Redis
   * the next would fail alike (and with REDIS_WAIT_REPLICAS each attempt holds the connection new
   * createUser calls share for its WAIT), while on a cluster the users of a master that answers
   * go on past one that does not. A name another request holds reserved goes to the back too,
   * not counted as a failure: that request's publish may fail and release it. Whether none
   * failed; never rejects (a throwing callback is logged, and the commits stay held).
   */
  async function tryEach(maxFailures: number, goOn: () => boolean): Promise<boolean> {
    let failures = 0;
    try {
      for (const [userId, { user, eventId }] of [...background]) {
        if (!goOn()) return false;
        const outcome = await attempt(user);
        if (outcome instanceof Error || outcome === 'name-reserved') {
          deps.logger.warn(
            { err: outcome instanceof Error ? outcome : undefined, userId, eventId, outcome },
            'user commit not done; trying it again later',
          );
          background.delete(userId);
          background.set(userId, { user, eventId });
          if (outcome instanceof Error && ++failures >= maxFailures) return false;
          continue;
        }
        background.delete(userId);
        deps.onPendingChange?.(background.size);
        landed(user, eventId, outcome, true);
      }
    } catch (error) {
      deps.logger.error({ err: error }, 'user commit round failed');
      return false;
    }
    return failures === 0;
  }

  const schedule = () => {
    if (closed || scheduled || round || background.size === 0) return;
    scheduled = setTimer(() => {
      scheduled = undefined;
      // Overtaken by a shutdown, a round ends: close() makes the last try.
      round = tryEach(FAILURES_PER_ROUND, () => !closed).then((done) => {
        round = undefined;
        delayMs = done ? firstDelayMs : Math.min(delayMs * 2, maxDelayMs);
        schedule();
      });
    }, delayMs);
  };

  const keep = (user: StoredUser, eventId: string) => {
    if (closed || background.size >= max) {
      lost(user, eventId, closed ? 'shutdown' : 'too-many');
      return;
    }
    background.set(user.id, { user, eventId });
    deps.onPendingChange?.(background.size);
    schedule();
  };

  return {
    async commit(user, eventId) {
      for (let tries = 1; ; tries++) {
        const outcome = await attempt(user);
        if (outcome instanceof Error || outcome === 'name-reserved') {
          // Tried again while the caller waits; past its attempts, or once shutting down, the
          // commit is the background's.
          if (tries < COMMIT_ATTEMPTS && !closed) {
            await pause(FIRST_PAUSE_MS * 2 ** (tries - 1));
            continue;
          }
          // Either the commit did not run or no replica confirmed it (a failover may still
          // lose it): the caller is told so, and the commit goes on.
          deps.logger.error(
            { err: outcome instanceof Error ? outcome : undefined, userId: user.id, eventId },
            'event published but the user commit is not confirmed; retrying it in the background',
          );
          keep(user, eventId);
          // Another request holds the name (only after the reservation expired, which the
          // config's TTL rule keeps from happening while the caller waits): CONFLICT.
          throw outcome instanceof Error ? outcome : new UsernameTakenError();
        }
        landed(user, eventId, outcome, false);
        if (outcome === 'name-taken') throw new UsernameTakenError();
        return;
      }
    },
    get pending() {
      return background.size;
    },
    async close() {
      closed = true;
      scheduled?.cancel();
      scheduled = undefined;
      await round;
      // Until the first failure (Redis is likely down) or the budget's end: the shutdown has a
      // deadline, and past it the rest would not even be logged.
      const endsAt = now() + CLOSE_BUDGET_MS;
      await tryEach(1, () => now() < endsAt);
      for (const { user, eventId } of background.values()) lost(user, eventId, 'shutdown');
      background.clear();
      deps.onPendingChange?.(0);
    },
  };
}
