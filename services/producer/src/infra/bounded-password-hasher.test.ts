import { HashingOverloadedError } from '../domain/errors.ts';
import type { PasswordHasher } from '../domain/ports.ts';
import { boundPasswordHasher, type HashingLimits } from './bounded-password-hasher.ts';

/**
 * A hasher whose hashes end when the test says, on a clock the test moves: the gate's own logic
 * alone (the real hashers are tested against their formats in test/password-hasher.test.ts).
 */
function heldHasher(limits: HashingLimits) {
  let clock = 0;
  const started: string[] = [];
  const pending = new Map<string, { end: (tag: string) => void; fail: (error: Error) => void }>();
  const hold = (password: string) =>
    new Promise<string>((resolve, reject) => {
      started.push(password);
      pending.set(password, { end: resolve, fail: reject });
    });
  const inner: PasswordHasher = {
    hash: hold,
    verify: async (password) => (await hold(password)) === 'ok',
    needsRehash: (hash) => hash === 'old',
  };
  let refused = 0;
  const hasher = boundPasswordHasher(inner, limits, {
    now: () => clock,
    onRefused: () => {
      refused++;
    },
  });
  /** Lets the promise callbacks run, so a hash handed its turn has started. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    hasher,
    started,
    get refused() {
      return refused;
    },
    async end(password: string, afterMs = 0, result = 'tag') {
      clock += afterMs;
      pending.get(password)?.end(result);
      await settle();
    },
    async fail(password: string, error: Error) {
      pending.get(password)?.fail(error);
      await settle();
    },
    settle,
  };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('boundPasswordHasher', () => {
  it('when more hashes are asked for than run at once, then the rest wait and start in arrival order as each ends', async () => {
    const gate = heldHasher({ concurrency: 2, maxWaitMs: 10_000, maxWaiting: 10 });
    const results = ['a', 'b', 'c', 'd'].map((password) => gate.hasher.hash(password));
    await gate.settle();
    expect(gate.started).toEqual(['a', 'b']);

    await gate.end('b');
    expect(gate.started).toEqual(['a', 'b', 'c']);
    await gate.end('a');
    await gate.end('c');
    await gate.end('d');

    await expect(Promise.all(results)).resolves.toEqual(['tag', 'tag', 'tag', 'tag']);
    expect(gate.started).toEqual(['a', 'b', 'c', 'd']);
    expect(gate.refused).toBe(0);
  });

  it("when a hash would wait past maxWaitMs at the recent hashes' pace, then it is refused at once with when to come back, and nothing runs for it", async () => {
    const gate = heldHasher({ concurrency: 1, maxWaitMs: 2_500, maxWaiting: 10 });
    const first = gate.hasher.hash('first');
    await gate.settle();
    await gate.end('first', 1_000);
    await first;

    const running = gate.hasher.hash('running');
    const waiting = [gate.hasher.hash('w1'), gate.hasher.hash('w2')]; // 1 s and 2 s ahead
    const error = await refusal(gate.hasher.hash('w3')); // 3 s ahead: refused

    expect(error).toBeInstanceOf(HashingOverloadedError);
    expect((error as HashingOverloadedError).retryAfterSeconds).toBe(3);
    expect(gate.refused).toBe(1);
    await gate.end('running', 1_000);
    await gate.end('w1', 1_000);
    await gate.end('w2', 1_000);
    await expect(Promise.all([running, ...waiting])).resolves.toHaveLength(3);
    expect(gate.started).toEqual(['first', 'running', 'w1', 'w2']);
  });

  it('when maxWaiting hashes wait, then the next is refused even before any hash gave a pace', async () => {
    const gate = heldHasher({ concurrency: 1, maxWaitMs: 60_000, maxWaiting: 2 });
    const admitted = ['running', 'w1', 'w2'].map((password) => gate.hasher.hash(password));

    const error = await refusal(gate.hasher.verify('w3', 'stored'));

    expect(error).toBeInstanceOf(HashingOverloadedError);
    expect((error as HashingOverloadedError).retryAfterSeconds).toBe(1);
    for (const password of ['running', 'w1', 'w2']) await gate.end(password);
    await expect(Promise.all(admitted)).resolves.toHaveLength(3);
    expect(gate.started).not.toContain('w3');
  });

  it('when a hash fails, then the caller gets its error and the next waiting hash gets the turn', async () => {
    const gate = heldHasher({ concurrency: 1, maxWaitMs: 10_000, maxWaiting: 10 });
    const failing = refusal(gate.hasher.hash('failing'));
    const next = gate.hasher.hash('next');
    await gate.settle();

    await gate.fail('failing', new Error('out of memory'));

    expect(await failing).toEqual(new Error('out of memory'));
    expect(gate.started).toEqual(['failing', 'next']);
    await gate.end('next');
    await expect(next).resolves.toBe('tag');
  });

  it('when a verification and a hash are asked for, then they share the turns; needsRehash computes nothing and never waits', async () => {
    const gate = heldHasher({ concurrency: 1, maxWaitMs: 10_000, maxWaiting: 10 });
    const hashed = gate.hasher.hash('new');
    const verified = gate.hasher.verify('guess', 'stored');
    await gate.settle();
    expect(gate.started).toEqual(['new']);
    expect(gate.hasher.needsRehash('old')).toBe(true);

    await gate.end('new');
    await gate.end('guess', 0, 'ok');

    await expect(hashed).resolves.toBe('tag');
    await expect(verified).resolves.toBe(true);
  });
});
