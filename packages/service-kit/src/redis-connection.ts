import { KafkaEcsError } from '@kafka-ecs/errors';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import { BoundedCluster, BoundedRedis } from './bounded-clients.ts';
import { redisTlsOptions } from './redis-options.ts';

/** A single Redis, or a Redis Cluster (`REDIS_CLUSTER`): what the services' Redis code takes. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionSettings {
  /** `redis://` or `rediss://` (TLS), credentials in the URL; on a cluster, any node. */
  url: string;
  /** REDIS_CLUSTER: find the cluster's nodes from the one `url` names. */
  cluster: boolean;
  /** A private CA bundle's PEM contents, for a `rediss://` URL. */
  ca?: string;
}

/**
 * A client for the service's Redis: `new Redis(url, options)`, or on a cluster a `Cluster` that
 * starts from the node in `url` and gives every node connection the same options, credentials
 * and TLS (ioredis reads no URL for a cluster's nodes, so they are taken from it here).
 * `commandTimeout` bounds a command from the moment it is issued on both, outages included, and
 * a command it ended is never sent afterwards (bounded-clients.ts).
 */
export function createRedisConnection(
  settings: RedisConnectionSettings,
  options: RedisOptions = {},
): RedisClient {
  const tls = redisTlsOptions(settings.url, settings.ca);
  if (!settings.cluster) {
    return new BoundedRedis(settings.url, { ...tls, reconnectOnError: readOnly, ...options });
  }
  const url = new URL(settings.url);
  const { enableOfflineQueue, ...nodeOptions } = options;
  const nodes = [{ host: url.hostname, port: Number(url.port || 6379) }];
  return new BoundedCluster(nodes, options.commandTimeout, {
    redisOptions: {
      ...nodeOptions,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: tls.tls ?? {} } : {}),
    },
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    // The nodes' addresses as the cluster announces them: ElastiCache's TLS certificate names
    // those hosts, which a client-side DNS lookup to an IP would fail to match.
    dnsLookup: (address, callback) => callback(null, address),
  });
}

/**
 * After a failover the old primary becomes a replica, and a connection still open to it answers
 * every write READONLY until it breaks: the service would fail all writes while PING (readiness)
 * passes. Reconnecting re-resolves the address, which ElastiCache's primary endpoint moves to the
 * new primary. The failed command is not sent again (it fails; retries are the caller's), since a
 * client without an offline queue could not hold it while reconnecting. A cluster needs none of
 * this: a slot's new owner answers MOVED, which ioredis follows.
 */
const readOnly = (error: Error) => error.message.startsWith('READONLY');

/** The client did not become ready in time; `message` says what it last failed on. */
export class RedisNotReadyError extends KafkaEcsError {}

/**
 * Resolves once `client` is ready (connected, and on a cluster its slots known); rejects with a
 * RedisNotReadyError after `timeoutMs`, or at once if the client was closed. It sends no
 * command, so what it waits for is the connection, not a command's timeout. The error names
 * the client's status, a single Redis' address, and its last connection errors (a cluster's
 * nodes by address; reasons, never a credential), so a start that cannot reach Redis says why
 * instead of waiting until a health check gives up on it.
 */
export function redisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  // A cluster's nodes name themselves in their errors; a single Redis' errors may not (a timeout).
  const target = client instanceof Redis ? ` at ${client.options.host}:${client.options.port}` : '';
  return new Promise<void>((resolve, reject) => {
    // The last few distinct errors. A cluster's own says only "Failed to refresh slots cache.",
    // and its nodes' "Connection is closed.", so a node's error is named by its address.
    const errors = new Set<string>();
    const note = (message: string) => {
      errors.delete(message);
      errors.add(message);
      if (errors.size > 3) errors.delete(errors.values().next().value as string);
    };
    const onError = (error: Error) => note(error.message);
    const onNodeError = (error: Error, node: string) => note(`${node}: ${error.message}`);
    const settle = (failure?: string) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('node error', onNodeError);
      client.off('end', onEnd);
      if (failure === undefined) resolve();
      else reject(new RedisNotReadyError(failure, { retriable: true }));
    };
    const onReady = () => settle();
    const reason = () => `last errors: ${errors.size > 0 ? [...errors].join('; ') : 'none'}`;
    const onEnd = () => settle(`Redis client${target} closed before it was ready (${reason()})`);
    const timer = setTimeout(
      () =>
        settle(
          `Redis${target} not ready after ${timeoutMs} ms (status ${client.status}; ${reason()})`,
        ),
      timeoutMs,
    );
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('node error', onNodeError);
    client.on('end', onEnd);
    if (client.status === 'end') onEnd();
    // A client made with `lazyConnect` waits for its first command, which this does not send.
    else if (client.status === 'wait') client.connect().catch(() => {});
  });
}
