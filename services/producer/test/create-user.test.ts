import { pino } from 'pino';
import { createUserUseCase } from '../src/domain/create-user.use-case.ts';
import type { StoredUser, UserStore } from '../src/domain/ports.ts';

// The commit step alone, with the store's answers scripted: no Kafka or Redis needed.
function givenCommits(...answers: (boolean | Error)[]) {
  const calls: StoredUser[] = [];
  const store: UserStore = {
    reserve: async () => true,
    commit: async (user) => {
      calls.push(user);
      const answer = answers[Math.min(calls.length, answers.length) - 1];
      if (answer instanceof Error) throw answer;
      return answer ?? true;
    },
    release: async () => {},
    findByUsername: async () => undefined,
    updatePasswordHash: async () => false,
  };
  const createUser = createUserUseCase({
    store,
    publisher: { publish: async () => {} },
    hasher: { hash: async () => 'hash', verify: async () => false, needsRehash: () => false },
    clock: { now: () => new Date() },
    logger: pino({ level: 'silent' }),
    reservationTtlMs: 60_000,
  });
  const input = { username: 'ada', email: 'ada@example.com', password: 'correct horse' };
  return { calls, createUser: () => createUser(input) };
}

describe('createUser: the commit after the publish', () => {
  it('when Redis fails once at the commit, then the commit is tried again and the user created', async () => {
    const { calls, createUser } = givenCommits(new Error('ECONNRESET'), true);

    await expect(createUser()).resolves.toMatchObject({ username: 'ada' });
    expect(calls).toHaveLength(2);
  });

  it('when the reservation was lost before the commit, then it fails at once, without retrying', async () => {
    const { calls, createUser } = givenCommits(false);

    await expect(createUser()).rejects.toThrow('reservation lost before commit');
    expect(calls).toHaveLength(1);
  });
});

describe('createUser: a reserve that failed', () => {
  it("when the reserve fails (it may have run after the client gave up), then this request's reservation is released and the error goes on, nothing published", async () => {
    const released: StoredUser[] = [];
    const published: unknown[] = [];
    const store: UserStore = {
      reserve: async () => {
        throw new Error('Command timed out');
      },
      commit: async () => true,
      release: async (user) => {
        released.push(user);
      },
      findByUsername: async () => undefined,
      updatePasswordHash: async () => false,
    };
    const createUser = createUserUseCase({
      store,
      publisher: { publish: async (event) => void published.push(event) },
      hasher: { hash: async () => 'hash', verify: async () => false, needsRehash: () => false },
      clock: { now: () => new Date() },
      logger: pino({ level: 'silent' }),
      reservationTtlMs: 60_000,
    });

    await expect(
      createUser({ username: 'ada', email: 'ada@example.com', password: 'correct horse' }),
    ).rejects.toThrow('Command timed out');
    expect(released.map((user) => user.username)).toEqual(['ada']);
    expect(published).toEqual([]);
  });
});
