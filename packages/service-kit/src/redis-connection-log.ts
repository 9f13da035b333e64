import type { Logger } from 'pino';
import { redisErrorForLog } from './redis-options.ts';

/** A cluster's node connection, as `+node` hands it over. */
export interface RedisNodeEvents {
  options: { host?: string; port?: number };
  once(event: 'ready', listener: () => void): unknown;
}

/** The events of a Redis client this reads (ioredis' Redis and Cluster both emit them). */
export interface RedisConnectionEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  /** A cluster's: one of its nodes failed (`node` is its address); the client may stay ready. */
  on(event: 'node error', listener: (error: Error, node: string) => void): unknown;
  /** A cluster's: a node connection was added (after a slot refresh, a redirect, a failover). */
  on(event: '+node', listener: (node: RedisNodeEvents) => void): unknown;
}

/**
 * Logs a Redis client's connection one line per change: a warning at the first error of an
 * outage (before the first connection too), `redis connected` once the client is ready, with
 * how many errors the outage brought. ioredis emits `error` at every reconnect attempt, a
 * cluster client several times a second at first: a consumer whose three clients could not
 * reach a cluster logged 390 warnings, each with its stack, in 30 s. The errors in between are
 * logged at debug. A cluster that loses one node stays ready (its commands fail over): the
 * node's first error is a warning of its own, and the next once a connection to it was ready
 * again. Not at `+node`: ioredis adds a dead master back at every redirect to it until its
 * replica takes over, which would warn every ~100 ms of a failover.
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
  const failedNodes = new Set<string>();
  client.on('node error', (error, node) => {
    const line = { err: redisErrorForLog(error), client: name, node };
    if (failedNodes.has(node)) return logger.debug(line, 'redis node failed again');
    failedNodes.add(node);
    logger.warn(line, 'redis node failed');
  });
  client.on('+node', (node) => {
    node.once('ready', () => failedNodes.delete(`${node.options.host}:${node.options.port}`));
  });
  client.on('ready', () => {
    logger.info({ client: name, errors }, 'redis connected');
    errors = 0;
    failedNodes.clear();
  });
}
