// What the bench knows of the producer's password hashes: the production default, and the jobs
// and reports of the raw-hash ceiling (workers/hash-ceiling-worker.ts).

/** The password hash and its cost, as the producer is configured. */
export type Kdf =
  | { kdf: 'scrypt'; cost: number }
  | { kdf: 'argon2id'; memoryKiB: number; passes: number; parallelism: number };

/**
 * The producer's default password hash (packages/config: PASSWORD_HASH, ARGON2_MEMORY_KIB,
 * ARGON2_PASSES; OWASP's first argon2id setting), which a producer that sets none of them runs.
 */
export const PRODUCTION_ARGON2ID = {
  kdf: 'argon2id',
  memoryKiB: 19_456,
  passes: 2,
  parallelism: 1,
} as const satisfies Kdf;

export type HashJob = Kdf & {
  hashes: number;
  warmup: number;
  /** Hashes in flight at once (the load's connections). */
  concurrency: number;
};

export interface HashReport {
  hashes: number;
  elapsedMs: number;
  hashesPerSecond: number;
  /** The libuv pool the hashes ran on (UV_THREADPOOL_SIZE, 4 when unset). */
  threadPool: number;
}
