import { HashingOverloadedError } from '../domain/errors.ts';
import type { PasswordHasher } from '../domain/ports.ts';
import { boundPasswordHasher, type HashingLimits } from './bounded-password-hasher.ts';

/**
 * A hasher whose hashes end when the test says, on a clock the test moves: the gate's own logic
 * alone (the real hashers are tested against their formats in test/password-hasher.test.ts).
 */
function heldHasher(limits: HashingLimits, random = () => 0) {
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
  /** The timers the gate set, by when they fire on the test's clock. */
  const timers = new Set<{ at: number; fire: () => void }>();
  const hasher = boundPasswordHasher(inner, limits, {
    now: () => clock,
    random,
    onRefused: () => {
      refused++;
    },
    setTimer(fire, ms) {
      const timer = { at: clock + ms, fire };
      timers.add(timer);
      return { cancel: () => timers.delete(timer) };
    },
  });
  /** Lets the promise callbacks run, so a hash handed its turn has started. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    hasher,
    started,
    /** Hashes started and not ended. */
    get inFlight() {
      return pending.size;
    },
    /** Moves the clock, firing the timers due by then. */
    async advance(ms: number) {
      clock += ms;
      for (const timer of [...timers]) {
        if (timer.at > clock) continue;
        timers.delete(timer);
        timer.fire();
      }
      await settle();
    },
    get refused() {
      return refused;
    },
    async end(password: string, afterMs = 0, result = 'tag') {
      clock += afterMs;
      pending.get(password)?.end(result);
      pending.delete(password);
      await settle();
    },
    async fail(password: string, error: Error) {
      pending.get(password)?.fail(error);
      pending.delete(password);
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

  it('when callers are refused in one burst, then each is told to come back between the estimated wait and twice it, spread', async () => {
    const told = [];
    for (const random of [0, 0.4, 0.99]) {
      const gate = heldHasher({ concurrency: 1, maxWaitMs: 2_500, maxWaiting: 10 }, () => random);
      const first = gate.hasher.hash('first');
      await gate.settle();
      await gate.end('first', 1_000);
      await first;
      const admitted = ['running', 'w1', 'w2'].map((password) => gate.hasher.hash(password));

      const error = await refusal(gate.hasher.hash('w3')); // 3 s ahead
      told.push((error as HashingOverloadedError).retryAfterSeconds);
      for (const password of ['running', 'w1', 'w2']) await gate.end(password, 1_000);
      await Promise.all(admitted);
    }

    expect(told).toEqual([3, 5, 6]);
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

  it('when hashes keep arriving as others end, then never more than `concurrency` run at once', async () => {
    const gate = heldHasher({ concurrency: 2, maxWaitMs: 60_000, maxWaiting: 10 });
    let peak = 0;
    const results: Promise<string>[] = [];
    const ask = (password: string) => {
      results.push(gate.hasher.hash(password));
    };
    for (const password of ['a', 'b', 'c', 'd']) ask(password);
    await gate.settle();
    for (const [ending, arriving] of [
      ['a', 'e'],
      ['b', 'f'],
      ['c', 'g'],
      ['d', undefined],
      ['e', undefined],
      ['f', undefined],
      ['g', undefined],
    ] as const) {
      peak = Math.max(peak, gate.inFlight);
      await gate.end(ending, 10);
      if (arriving) ask(arriving);
      await gate.settle();
      peak = Math.max(peak, gate.inFlight);
    }

    await expect(Promise.all(results)).resolves.toHaveLength(7);
    expect(peak).toBe(2);
    expect(gate.started).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('when a hash is still waiting at maxWaitMs (hashes slowed down since the estimate), then it is refused then, and the ones behind it move up', async () => {
    const gate = heldHasher({ concurrency: 2, maxWaitMs: 2_000, maxWaiting: 10 });
    const warmUp = gate.hasher.hash('warm-up');
    await gate.settle();
    await gate.end('warm-up', 100);
    await warmUp;
    const running = [gate.hasher.hash('r1'), gate.hasher.hash('r2')];
    const first = refusal(gate.hasher.hash('w1')); // estimated 100 ms: admitted
    await gate.advance(1_000);
    const second = gate.hasher.hash('w2'); // admitted a second later

    await gate.advance(1_000); // w1 has waited 2 s: refused; w2 waits on
    const error = await first;
    expect(error).toBeInstanceOf(HashingOverloadedError);
    expect(gate.refused).toBe(1);
    await gate.end('r1');
    expect(gate.started).toEqual(['warm-up', 'r1', 'r2', 'w2']);
    // Its turn came: its timer no longer refuses it.
    await gate.advance(5_000);
    await gate.end('r2');
    await gate.end('w2');
    await expect(Promise.all([...running, second])).resolves.toHaveLength(3);
    expect(gate.refused).toBe(1);
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
