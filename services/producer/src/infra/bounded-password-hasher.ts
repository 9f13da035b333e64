import { HashingOverloadedError } from '../domain/errors.ts';
import type { PasswordHasher } from '../domain/ports.ts';

export interface HashingLimits {
  /**
   * Hashes computed at once: libuv's pool size (UV_THREADPOOL_SIZE), whose threads run them. The
   * pool's other work (DNS lookups, file reads) then waits for one hash to end at most, since the
   * next hash is queued behind it; more would only queue inside the pool, unbounded and unseen.
   */
  concurrency: number;
  /**
   * The longest a hash waits for its turn. One whose estimated wait is longer is refused at once;
   * one that waited this long anyway (the estimate was low: hashes slowed down) is refused then.
   */
  maxWaitMs: number;
  /** Most hashes waiting at once, whatever the estimate. @defaultValue HASH_MAX_WAITING */
  maxWaiting?: number;
}

/**
 * Most hashes waiting at once by default: as many requests held, each body at most
 * HTTP_BODY_LIMIT_BYTES (a login's password is bounded by nothing smaller).
 */
const HASH_MAX_WAITING = 1_000;

// The weight of the latest hash in the running average of their durations.
const SMOOTHING = 0.2;

interface Waiter {
  turn(): void;
  timer: { cancel(): void };
}

export interface HasherHooks {
  /** Each refusal, at once or after waiting. */
  onRefused?: () => void;
  now?: () => number;
  /** Runs `fire` after `ms` unless cancelled; tests drive it. */
  setTimer?: (fire: () => void, ms: number) => { cancel(): void };
  /** In [0, 1), for the spread of `retryAfterSeconds`. @defaultValue Math.random */
  random?: () => number;
}

const realTimer = (fire: () => void, ms: number) => {
  const timer = setTimeout(fire, ms);
  return { cancel: () => clearTimeout(timer) };
};

/**
 * A hasher that admits a bounded queue. Without it a burst of createUser and login calls queued
 * on libuv's pool without limit (1,500 at once answered after 12 s at the median and 23 s at the
 * worst on 2 cores), past any client's or load balancer's patience, so hashes were computed for
 * callers long gone. Now hashes run `concurrency` at a time, in arrival order, and none waits
 * longer than `maxWaitMs` for its turn: one whose estimated wait (the hashes ahead of it,
 * `concurrency` at a time, at their recent average duration) is longer is refused at once, and
 * one still waiting at `maxWaitMs` is refused then, both with HashingOverloadedError and before
 * any work for it.
 */
export function boundPasswordHasher(
  hasher: PasswordHasher,
  limits: HashingLimits,
  hooks: HasherHooks = {},
): PasswordHasher {
  const now = hooks.now ?? (() => performance.now());
  const setTimer = hooks.setTimer ?? realTimer;
  const random = hooks.random ?? Math.random;
  const maxWaiting = limits.maxWaiting ?? HASH_MAX_WAITING;
  const waiting: Waiter[] = [];
  let running = 0;
  /** Running average of a hash's duration; none until one finished. */
  let averageMs: number | undefined;

  const estimatedWaitMs = (position: number) =>
    Math.ceil(position / limits.concurrency) * (averageMs ?? 0);

  /**
   * Refused, told to come back between the estimated wait and twice it: callers refused in the
   * same burst, all told the same, would come back together and be refused together again.
   */
  function refuse(waitMs: number): HashingOverloadedError {
    hooks.onRefused?.();
    const comeBackMs = Math.max(1_000, waitMs) * (1 + random());
    return new HashingOverloadedError(Math.ceil(comeBackMs / 1000));
  }

  async function turn(): Promise<void> {
    if (running < limits.concurrency) {
      running++;
      return;
    }
    const waitMs = estimatedWaitMs(waiting.length + 1);
    if (waiting.length >= maxWaiting || waitMs > limits.maxWaitMs) throw refuse(waitMs);
    // The slot is handed over by the hash that ends (running stays the same).
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        turn: resolve,
        timer: setTimer(() => {
          const index = waiting.indexOf(waiter);
          if (index >= 0) waiting.splice(index, 1);
          reject(refuse(estimatedWaitMs(waiting.length + 1)));
        }, limits.maxWaitMs),
      };
      waiting.push(waiter);
    });
  }

  function handOver() {
    const next = waiting.shift();
    if (!next) {
      running--;
      return;
    }
    next.timer.cancel();
    next.turn();
  }

  async function gated<T>(work: () => Promise<T>): Promise<T> {
    await turn();
    const startedAt = now();
    try {
      return await work();
    } finally {
      const tookMs = now() - startedAt;
      averageMs = averageMs === undefined ? tookMs : averageMs + (tookMs - averageMs) * SMOOTHING;
      handOver();
    }
  }

  return {
    hash: (password) => gated(() => hasher.hash(password)),
    verify: (password, hash) => gated(() => hasher.verify(password, hash)),
    needsRehash: (hash) => hasher.needsRehash(hash),
  };
}
