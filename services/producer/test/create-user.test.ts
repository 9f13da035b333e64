import { pino } from 'pino';
import { createUserUseCase } from '../src/domain/create-user.use-case.ts';
import type { StoredUser, UserStore } from '../src/domain/ports.ts';

// The commit's own policy is user-commits.ts' (and its test).

describe('createUser: a reserve that failed', () => {
  it("when the reserve fails (it may have run after the client gave up), then this request's reservation is released and the error goes on, nothing published", async () => {
    const released: StoredUser[] = [];
    const published: unknown[] = [];
    const store: UserStore = {
      reserve: async () => {
        throw new Error('Command timed out');
      },
      commit: async () => 'committed',
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
      commits: { commit: async () => {} },
    });

    await expect(
      createUser({ username: 'ada', email: 'ada@example.com', password: 'correct horse' }),
    ).rejects.toThrow('Command timed out');
    expect(released.map((user) => user.username)).toEqual(['ada']);
    expect(published).toEqual([]);
  });
});
