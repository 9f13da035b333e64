import type { Redis } from 'ioredis';

/** Deletes the keys under a prefix this run made (SCAN + UNLINK; never FLUSHALL). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  if (prefix.length < 8)
    throw new Error(`refusing to delete keys under a short prefix "${prefix}"`);
  let deleted = 0;
  const stream = redis.scanStream({ match: `${escapeGlob(prefix)}*`, count: 1_000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  }
  return deleted;
}

const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');
