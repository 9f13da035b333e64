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

/** What Redis has done so far, read at two moments; their difference is a span's share. */
export interface RedisWork {
  /**
   * CPU seconds the server has used (user + system, `INFO cpu`), whoever else is connected
   * (the bench runs alone on its Redis).
   */
  cpuSeconds: number;
  /**
   * Seconds spent running scripts (EVAL and EVALSHA, the commands a script calls counted
   * within it; `INFO commandstats`): in the consume scenario mostly the view's apply script.
   * Redis times a command by the clock, so on a busy machine this includes time its thread
   * waited for a core: beside the CPU time, not a part of it.
   */
  scriptSeconds: number;
}

/** Both figures from one `INFO`, so they are read at the same moment. */
export async function redisWork(redis: Redis): Promise<RedisWork> {
  const info = await redis.info('cpu', 'commandstats');
  let cpuSeconds = 0;
  for (const [, name, value] of info.matchAll(/^used_cpu_(sys|user):([\d.]+)\r?$/gm)) {
    if (name) cpuSeconds += Number(value);
  }
  return { cpuSeconds, scriptSeconds: commandMicroseconds(info, ['eval', 'evalsha']) / 1e6 };
}

/**
 * Microseconds Redis spent in `commands`, from the text of `INFO commandstats` (each line
 * `cmdstat_<name>:calls=…,usec=…,…`). A command Redis has not run yet has no line: 0.
 */
export function commandMicroseconds(commandstats: string, commands: readonly string[]): number {
  let usec = 0;
  for (const [, name, value] of commandstats.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) {
    if (name && commands.includes(name)) usec += Number(value);
  }
  return usec;
}
