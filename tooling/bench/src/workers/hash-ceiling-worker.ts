// The createUser ceiling: the producer's password hash at the same cost, run raw on a libuv
// thread pool of the producer's size with as many hashes in flight as the load has connections;
// no HTTP, GraphQL, Redis or Kafka. Input: one JSON argument (HashJob). Output: one JSON line (HashReport).
import { argon2, randomBytes, scrypt } from 'node:crypto';
import type { HashJob, HashReport } from '../password-hash.ts';

// The producer's parameters (services/producer/src/infra: kdf-password-scheme.ts and the two
// schemes): a 16-byte salt, a 32-byte tag, scrypt r = 8, p = 1 with its memory bound.
const SALT_LENGTH = 16;
const TAG_LENGTH = 32;
const PASSWORD = 'correct horse battery staple'.normalize('NFKC');

const job = JSON.parse(process.argv[2] ?? '{}') as HashJob;

function hashOnce(): Promise<Buffer> {
  const salt = randomBytes(SALT_LENGTH);
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, key: Buffer) => (error ? reject(error) : resolve(key));
    if (job.kdf === 'scrypt') {
      const N = job.cost;
      scrypt(
        PASSWORD,
        salt,
        TAG_LENGTH,
        { N, r: 8, p: 1, maxmem: 256 * N * 8 + 1024 * 1024 },
        done,
      );
    } else {
      argon2(
        'argon2id',
        {
          message: PASSWORD,
          nonce: salt,
          memory: job.memoryKiB,
          passes: job.passes,
          parallelism: job.parallelism,
          tagLength: TAG_LENGTH,
        },
        done,
      );
    }
  });
}

/** `count` hashes with `concurrency` in flight; resolves with the elapsed milliseconds. */
async function run(count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await hashOnce();
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, count) }, lane));
  return performance.now() - started;
}

await run(job.warmup);
const elapsedMs = await run(job.hashes);
const report: HashReport = {
  hashes: job.hashes,
  elapsedMs,
  hashesPerSecond: (job.hashes / elapsedMs) * 1000,
  threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
};
console.log(JSON.stringify(report));
