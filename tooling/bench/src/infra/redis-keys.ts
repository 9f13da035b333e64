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

/**
 * CPU seconds the Redis server has used (user + system, `INFO cpu`): the difference over a run
 * is Redis' share of the work, whoever else is connected (the bench runs alone on its Redis).
 */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  let seconds = 0;
  for (const [, name, value] of info.matchAll(/^used_cpu_(sys|user):([\d.]+)\r?$/gm)) {
    if (name) seconds += Number(value);
  }
  return seconds;
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

/**
 * Seconds Redis spent running scripts (EVAL and EVALSHA; the commands a script calls are
 * counted within it), whoever sent them: in the consume scenario, which runs alone on its Redis,
 * mostly the view's apply script. Redis times a command by the clock, so on a busy machine this
 * includes time its thread waited for a core.
 */
export async function redisScriptSeconds(redis: Redis): Promise<number> {
  return commandMicroseconds(await redis.info('commandstats'), ['eval', 'evalsha']) / 1e6;
}
