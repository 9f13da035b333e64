import type { Logger } from 'pino';
import { redisErrorForLog } from './redis-options.ts';

/** The events of a Redis client this reads (ioredis' Redis and Cluster both emit them). */
export interface RedisConnectionEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

/**
 * Logs a Redis client's connection one line per change: a warning at the first error of an
 * outage (before the first connection too), `redis connected` once the client is ready, with
 * how many errors the outage brought. ioredis emits `error` at every reconnect attempt, a
 * cluster client several times a second at first: a consumer whose three clients could not
 * reach a cluster logged 390 warnings, each with its stack, in 30 s. The errors in between are
 * logged at debug.
 */
export function logRedisConnection(
  client: RedisConnectionEvents,
  logger: Logger,
  name: string,
): void {
  let errors = 0;
  client.on('error', (error) => {
    errors += 1;
    const line = { err: redisErrorForLog(error), client: name };
    if (errors === 1) logger.warn(line, 'redis connection failed; reconnecting');
    else logger.debug({ ...line, errors }, 'redis connection failed again');
  });
  client.on('ready', () => {
    logger.info({ client: name, errors }, 'redis connected');
    errors = 0;
  });
}
