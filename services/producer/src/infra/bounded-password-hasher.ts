import { HashingOverloadedError } from '../domain/errors.ts';
import type { PasswordHasher } from '../domain/ports.ts';

export interface HashingLimits {
  /**
   * Hashes computed at once: libuv's pool size (UV_THREADPOOL_SIZE), whose threads run them. The
   * pool's other work (DNS lookups, file reads) then waits for one hash to end at most, since the
   * next hash is queued behind it; more would only queue inside the pool, unbounded and unseen.
   */
  concurrency: number;
  /** A hash whose estimated wait for its turn is longer is refused. */
  maxWaitMs: number;
  /** Most hashes waiting at once, whatever the estimate: each holds a request. */
  maxWaiting: number;
}

/** Most hashes waiting at once by default (about 1 MB of requests held). */
export const HASH_MAX_WAITING = 1_000;

// The weight of the latest hash in the running average of their durations.
const SMOOTHING = 0.2;

/**
 * A hasher that admits a bounded queue. Without it a burst of createUser and login calls queued
 * on libuv's pool without limit (1,500 at once answered after 12 s at the median and 23 s at the
 * worst on 2 cores), past any client's or load balancer's patience, so hashes were computed for
 * callers long gone. Now a hash that would wait longer than `maxWaitMs` for its turn (the hashes
 * ahead of it, `concurrency` at a time, at their recent average duration) is refused at once with
 * HashingOverloadedError, before any work, and the ones admitted run in arrival order.
 */
export function boundPasswordHasher(
  hasher: PasswordHasher,
  limits: HashingLimits,
  hooks: { onRefused?: () => void; now?: () => number } = {},
): PasswordHasher {
  const now = hooks.now ?? (() => performance.now());
  const waiting: (() => void)[] = [];
  let running = 0;
  /** Running average of a hash's duration; none until one finished. */
  let averageMs: number | undefined;

  async function turn(): Promise<void> {
    if (running < limits.concurrency) {
      running++;
      return;
    }
    const estimatedWaitMs = Math.ceil((waiting.length + 1) / limits.concurrency) * (averageMs ?? 0);
    if (waiting.length >= limits.maxWaiting || estimatedWaitMs > limits.maxWaitMs) {
      hooks.onRefused?.();
      throw new HashingOverloadedError(Math.max(1, Math.ceil(estimatedWaitMs / 1000)));
    }
    // The slot is handed over by the hash that ends (running stays the same).
    await new Promise<void>((resolve) => waiting.push(resolve));
  }

  async function gated<T>(work: () => Promise<T>): Promise<T> {
    await turn();
    const startedAt = now();
    try {
      return await work();
    } finally {
      const tookMs = now() - startedAt;
      averageMs = averageMs === undefined ? tookMs : averageMs + (tookMs - averageMs) * SMOOTHING;
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }

  return {
    hash: (password) => gated(() => hasher.hash(password)),
    verify: (password, hash) => gated(() => hasher.verify(password, hash)),
    needsRehash: (hash) => hasher.needsRehash(hash),
  };
}
