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

/** ioredis' message for a command its `commandTimeout` ended. */
const TIMED_OUT = 'Command timed out';

/**
 * A Cluster whose commands time out as a single Redis' do. A single Redis starts a command's
 * `commandTimeout` when the command is issued, so it covers a wait in its offline queue during
 * an outage; ioredis' Cluster starts it only when it hands the command to a node connection, so
 * one issued while the cluster is down waits in the cluster's own queue for as long as the
 * outage lasts (redis/ioredis#1604). Started here when the command is issued. ioredis keeps the
 * first timer a command gets, so a single command's redirects do not extend it (a pipeline's
 * bound starts again at each of its redirect rounds).
 *
 * A command that timed out is never sent afterwards. ioredis would: from the cluster's queue once
 * the cluster is back (redis/ioredis#2130), a MULTI or pipeline too, and, after its node's
 * connection closed, through its failover retry. That is a write its caller was told had failed
 * and has since retried, run again. Not covered: one that times out while it already waits out
 * a failover redirect (ioredis retries it from inside), and a single Redis, which re-sends
 * unanswered commands after a reconnect (`autoResendUnfulfilledCommands`).
 */
class BoundedCluster extends Cluster {
  readonly #nodes: ClusterNode[];
  readonly #commandTimeoutMs: number | undefined;
  // By command: a pipeline gives its commands new promises before it reports the timeout.
  readonly #timedOut = new WeakSet<object>();
  // By promise: the bound and its watch go on each promise a pipeline's redirect gives a command.
  readonly #bounded = new WeakSet<Promise<unknown>>();
  readonly #guarded = new WeakSet<object>();

  constructor(nodes: ClusterNode[], commandTimeoutMs: number | undefined, options: ClusterOptions) {
    super(nodes, options);
    this.#nodes = nodes;
    this.#commandTimeoutMs = commandTimeoutMs;
  }

  override sendCommand(...args: Parameters<Cluster['sendCommand']>): unknown {
    const [command, , node] = args;
    if (this.#timedOut.has(command)) return command.promise;
    if (this.#commandTimeoutMs === undefined) return super.sendCommand(...args);
    if (!this.#bounded.has(command.promise)) {
      this.#bounded.add(command.promise);
      command.setTimeout(this.#commandTimeoutMs);
      // Inside ioredis' redirect handling (wrapped below), so it sees only the final rejection.
      const reject = command.reject;
      command.reject = (error) => {
        if (error.message === TIMED_OUT) this.#timedOut.add(command);
        reject.call(command, error);
      };
    }
    const sent = super.sendCommand(...args);
    // ioredis has now wrapped `reject` of a command of its own (no `node`) to retry it after a
    // redirect or a closed connection. Outside that: a timed-out command is not retried.
    if (node === undefined && !this.#guarded.has(command)) {
      this.#guarded.add(command);
      const redirecting = command.reject;
      command.reject = (error) => {
        if (!this.#timedOut.has(command)) redirecting.call(command, error);
      };
    }
    return sent;
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
