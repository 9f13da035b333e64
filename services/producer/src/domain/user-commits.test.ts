import { pino } from 'pino';
import { UsernameTakenError } from './errors.ts';
import type { CommitOutcome, StoredUser } from './ports.ts';
import {
  COMMIT_ATTEMPTS,
  createUserCommits,
  type LostCommitReason,
  type UserCommits,
} from './user-commits.ts';

// The commit's policy alone, with the store's answers scripted and the background's timer
// driven by the test: no Redis, no clock.

const userNamed = (username: string): StoredUser => ({
  id: `id-${username}`,
  username,
  email: `${username}@example.com`,
  firstName: null,
  lastName: null,
  createdAt: '2026-12-05T22:00:00.000Z',
  passwordHash: 'hash',
});

const down = () => new Error('Connection is closed.');

type Answer = CommitOutcome | Error;

/** Answers each commit with the next of `answers` (the last one again once they run out). */
const givenStore = (...answers: Answer[]) =>
  givenStoreAnswering((_, call) => answers[Math.min(call, answers.length) - 1] ?? 'committed');

/**
 * Answers each commit by its user's name and its number among all the calls (from 1), after
 * `gate` opens when one is given; each commit takes `msPerCommit` of the commits' clock.
 */
function givenStoreAnswering(
  answer: (username: string, call: number) => Answer,
  { msPerCommit = 0, gate }: { msPerCommit?: number; gate?: () => Promise<void> } = {},
) {
  const calls: string[] = [];
  let clock = 0;
  const lost: LostCommitReason[] = [];
  const pending: number[] = [];
  const pauses: number[] = [];
  /** The background's timers, as asked for: their delays, and the one due next. */
  const delays: number[] = [];
  let due: (() => void) | undefined;
  const commits = createUserCommits({
    store: {
      commit: async (user) => {
        calls.push(user.username);
        const call = calls.length;
        await gate?.();
        clock += msPerCommit;
        const answered = answer(user.username, call);
        if (answered instanceof Error) throw answered;
        return answered;
      },
    },
    logger: pino({ level: 'silent' }),
    onLost: (reason) => lost.push(reason),
    onPendingChange: (count) => pending.push(count),
    pause: async (ms) => void pauses.push(ms),
    setTimer: (fire, ms) => {
      delays.push(ms);
      due = fire;
      return {
        cancel: () => {
          due = undefined;
        },
      };
    },
    now: () => clock,
    max: 4,
  });
  /**
   * Runs the background round that is due, if any, to its end: the scripted store answers at
   * once, so the round is done once the promise jobs it queued have run.
   */
  const nextRound = async () => {
    const run = due;
    due = undefined;
    run?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { commits, calls, lost, pending, pauses, delays, nextRound, due: () => due };
}

/** Each user's commit failing all the caller's attempts: handed to the background. */
async function handOver(commits: UserCommits, ...names: string[]) {
  for (const name of names) {
    await expect(commits.commit(userNamed(name), `event-${name}`)).rejects.toThrow();
  }
}

/** The caller's attempts all failing: the commit is handed to the background. */
const failingAttempts = () => Array.from({ length: COMMIT_ATTEMPTS }, down);

describe('a user commit while its caller waits', () => {
  it('when Redis fails once, then the commit is tried again after a pause and resolves', async () => {
    const { commits, calls, pauses } = givenStore(down(), 'committed');

    await expect(commits.commit(userNamed('ada'), 'e1')).resolves.toBeUndefined();
    expect(calls).toEqual(['ada', 'ada']);
    expect(pauses).toEqual([200]);
    expect(commits.pending).toBe(0);
  });

  it('when the reservation was gone and the name free, then the user is restored and the caller served', async () => {
    const { commits, calls, lost } = givenStore('restored');

    await expect(commits.commit(userNamed('ada'), 'e1')).resolves.toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(lost).toEqual([]);
  });

  it('when another user holds the name, then it fails at once, counted lost, and nothing goes on', async () => {
    const { commits, calls, lost } = givenStore('name-taken');

    await expect(commits.commit(userNamed('ada'), 'e1')).rejects.toThrow(UsernameTakenError);
    expect(calls).toHaveLength(1);
    expect(lost).toEqual(['name-taken']);
    expect(commits.pending).toBe(0);
  });

  it("when every attempt fails, then the caller gets the store's error after the doubling pauses, and the commit goes on in the background", async () => {
    const { commits, calls, pauses, pending, delays, nextRound } = givenStore(
      ...failingAttempts(),
      'committed',
    );

    await expect(commits.commit(userNamed('ada'), 'e1')).rejects.toThrow('Connection is closed.');
    expect(calls).toHaveLength(COMMIT_ATTEMPTS);
    expect(pauses).toEqual([200, 400, 800, 1600]);
    expect(commits.pending).toBe(1);

    await nextRound();
    expect(delays).toEqual([1_000]);
    expect(calls).toHaveLength(COMMIT_ATTEMPTS + 1);
    expect(commits.pending).toBe(0);
    expect(pending).toEqual([1, 0]);
  });
});

describe('user commits in the background', () => {
  it('when Redis still fails, then a round ends at its third failure, the failed go to the back, and the pause doubles up to its bound', async () => {
    const { commits, calls, delays, nextRound } = givenStore(down());
    await handOver(commits, 'ada', 'bea', 'cy', 'dee');
    const before = calls.length;

    for (let round = 0; round < 5; round++) await nextRound();

    expect(calls.slice(before, before + 6)).toEqual(['ada', 'bea', 'cy', 'dee', 'ada', 'bea']);
    expect(calls.slice(before)).toHaveLength(15);
    expect(delays).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
    expect(commits.pending).toBe(4);
  });

  it('when one master of a cluster does not answer, then the users of the others are committed past its users', async () => {
    const { commits, calls, nextRound } = givenStoreAnswering((username, call) =>
      username === 'ada' || call <= 2 * COMMIT_ATTEMPTS ? down() : 'committed',
    );
    await handOver(commits, 'ada', 'bea');
    const before = calls.length;

    await nextRound();
    expect(calls.slice(before)).toEqual(['ada', 'bea']);
    expect(commits.pending).toBe(1);
    await nextRound();
    expect(calls.slice(before)).toEqual(['ada', 'bea', 'ada']);
  });

  it('when another request holds the name reserved, then the commit is tried again later, and lands once that reservation is gone', async () => {
    const { commits, lost, nextRound } = givenStore(
      ...failingAttempts(),
      'name-reserved',
      'restored',
    );
    await handOver(commits, 'ada');

    await nextRound();
    expect(commits.pending).toBe(1);
    await nextRound();
    expect(commits.pending).toBe(0);
    expect(lost).toEqual([]);
  });

  it('when Redis is back, then one round commits every user in the order they came', async () => {
    const { commits, calls, nextRound, due } = givenStore(
      ...failingAttempts(),
      ...failingAttempts(),
      'committed',
    );
    await handOver(commits, 'ada', 'bea');
    const before = calls.length;

    await nextRound();
    expect(calls.slice(before)).toEqual(['ada', 'bea']);
    expect(commits.pending).toBe(0);
    // Nothing left: no round waits.
    expect(due()).toBeUndefined();
  });

  it('when a background commit finds the name taken by another user, then it is counted lost and dropped', async () => {
    const { commits, lost, nextRound } = givenStore(...failingAttempts(), 'name-taken');
    await handOver(commits, 'ada');

    await nextRound();
    expect(lost).toEqual(['name-taken']);
    expect(commits.pending).toBe(0);
  });

  it('when as many are held as allowed, then one more is counted lost instead of held', async () => {
    const { commits, lost } = givenStore(down());
    await handOver(commits, 'ada', 'bea', 'cy', 'dee', 'eve');

    expect(commits.pending).toBe(4);
    expect(lost).toEqual(['too-many']);
  });

  it('when closed, then each is tried once more until one fails, the rest counted lost, and a caller after it is not tried again', async () => {
    const { commits, calls, lost, pending, pauses, due } = givenStore(
      ...failingAttempts(),
      ...failingAttempts(),
      ...failingAttempts(),
      'committed',
      down(),
    );
    await handOver(commits, 'ada', 'bea', 'cy');
    const before = calls.length;
    const paused = pauses.length;

    expect(due()).toBeDefined();
    await commits.close();
    // Redis failing for bea likely fails cy: the shutdown does not wait for it.
    expect(calls.slice(before)).toEqual(['ada', 'bea']);
    expect(lost).toEqual(['shutdown', 'shutdown']);
    expect(commits.pending).toBe(0);
    expect(pending.at(-1)).toBe(0);

    await handOver(commits, 'dee');
    expect(calls.slice(before)).toEqual(['ada', 'bea', 'dee']);
    expect(pauses).toHaveLength(paused);
    expect(lost).toEqual(['shutdown', 'shutdown', 'shutdown']);
    // The round that was due is cancelled, and none is left to run.
    expect(due()).toBeUndefined();
  });

  it('when closed while a round is under way, then the round ends at its next commit and the last try, within its budget, goes on from there', async () => {
    let open: () => void = () => {};
    let gated = false;
    const { commits, calls, lost, due } = givenStoreAnswering(
      (_, call) => (call <= 4 * COMMIT_ATTEMPTS ? down() : 'committed'),
      {
        msPerCommit: 2_000,
        // Holds the first commit of the background's round until the test lets it answer.
        gate: () => {
          if (!gated) return Promise.resolve();
          gated = false;
          return new Promise<void>((resolve) => {
            open = resolve;
          });
        },
      },
    );
    await handOver(commits, 'ada', 'bea', 'cy', 'dee');
    const before = calls.length;
    gated = true;
    due()?.();
    expect(calls.slice(before)).toEqual(['ada']);

    const closing = commits.close();
    open();
    await closing;

    // The round stopped after ada; the last try took bea and cy in its 3 s (2 s a commit). A
    // round going on would have committed all four, past any budget.
    expect(calls.slice(before)).toEqual(['ada', 'bea', 'cy']);
    expect(lost).toEqual(['shutdown']);
  });

  it('when closed, then a name another request holds reserved does not end the last try, and it stops at its budget', async () => {
    const { commits, calls, lost } = givenStoreAnswering(
      (username, call) =>
        call <= 4 * COMMIT_ATTEMPTS ? down() : username === 'ada' ? 'name-reserved' : 'committed',
      { msPerCommit: 1_000 },
    );
    await handOver(commits, 'ada', 'bea', 'cy', 'dee');
    const before = calls.length;

    await commits.close();

    // 1 s a commit against a budget of 3 s: dee is not tried.
    expect(calls.slice(before)).toEqual(['ada', 'bea', 'cy']);
    expect(lost).toEqual(['shutdown', 'shutdown']);
  });
});
