import { KafkaEcsError } from '@kafka-ecs/errors';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
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
 * `commandTimeout` bounds a command from the moment it is issued on both, outages included.
 */
export function createRedisConnection(
  settings: RedisConnectionSettings,
  options: RedisOptions = {},
): RedisClient {
  const tls = redisTlsOptions(settings.url, settings.ca);
  if (!settings.cluster) return new Redis(settings.url, { ...tls, ...options });
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
 * A Cluster whose commands time out as a single Redis' do. A single Redis starts a command's
 * `commandTimeout` when the command is issued, so it covers a wait in the offline queue during
 * an outage; ioredis' Cluster starts it only once a node connection writes the command, so one
 * issued while no node is reachable waits in the cluster's queue for as long as the outage
 * lasts (redis/ioredis#1604). Started here at issue time instead: ioredis keeps the first timer
 * a command gets, so a redirect or the node's own `commandTimeout` does not extend it.
 *
 * ioredis leaves a command that timed out in the queue and sends it once the cluster is back
 * (redis/ioredis#2130): a write its caller was told had failed, and has since retried, would
 * then run again (a retry attempt counted twice). So a command whose promise was rejected is
 * never sent from here. Not covered: one rejected while it waits out a failover redirect
 * (ioredis retries it by itself, for at most `maxRedirections` × 100 ms).
 */
class BoundedCluster extends Cluster {
  readonly #nodes: ClusterNode[];
  readonly #commandTimeoutMs: number | undefined;
  // By promise, not command: a pipeline sends a redirected command again with a new promise.
  readonly #watched = new WeakSet<Promise<unknown>>();
  readonly #rejected = new WeakSet<Promise<unknown>>();

  constructor(nodes: ClusterNode[], commandTimeoutMs: number | undefined, options: ClusterOptions) {
    super(nodes, options);
    this.#nodes = nodes;
    this.#commandTimeoutMs = commandTimeoutMs;
  }

  override sendCommand(...args: Parameters<Cluster['sendCommand']>): unknown {
    const [command] = args;
    if (this.#rejected.has(command.promise)) return command.promise;
    if (this.#commandTimeoutMs !== undefined && !this.#watched.has(command.promise)) {
      this.#watched.add(command.promise);
      command.setTimeout(this.#commandTimeoutMs);
      // Wrapped before ioredis wraps it for redirects, so this runs only on the final rejection.
      const { promise, reject } = command;
      command.reject = (error) => {
        this.#rejected.add(promise);
        reject.call(command, error);
      };
    }
    return super.sendCommand(...args);
  }

  // BullMQ duplicates its connection for blocking reads: the copy keeps the bound.
  override duplicate(
    overrideStartupNodes: ClusterNode[] = [],
    overrideOptions: ClusterOptions = {},
  ): Cluster {
    const nodes = overrideStartupNodes.length > 0 ? overrideStartupNodes : this.#nodes;
    return new BoundedCluster(nodes, this.#commandTimeoutMs, {
      ...this.options,
      ...overrideOptions,
    });
  }
}

/** The client did not become ready in time; `message` says what it last failed on. */
export class RedisNotReadyError extends KafkaEcsError {}

/**
 * Resolves once `client` is ready (connected, and on a cluster its slots known); rejects with a
 * RedisNotReadyError after `timeoutMs`, or at once if the client was closed. It sends nothing,
 * since a command of a cluster that no node answers waits in ioredis' queue, and a pipeline's
 * waits there without a bound. The error names the client's status and its last connection
 * errors (addresses and reasons, never a credential), so a start that cannot reach Redis says
 * why instead of waiting until a health check gives up on it.
 */
export function redisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
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
    const onEnd = () => settle(`Redis client closed before it was ready (${reason()})`);
    const timer = setTimeout(
      () => settle(`Redis not ready after ${timeoutMs} ms (status ${client.status}; ${reason()})`),
      timeoutMs,
    );
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('node error', onNodeError);
    client.on('end', onEnd);
    if (client.status === 'end') onEnd();
  });
}
