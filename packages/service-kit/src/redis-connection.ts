import { Cluster, Redis, type RedisOptions } from 'ioredis';
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
 */
export function createRedisConnection(
  settings: RedisConnectionSettings,
  options: RedisOptions = {},
): RedisClient {
  const tls = redisTlsOptions(settings.url, settings.ca);
  if (!settings.cluster) return new Redis(settings.url, { ...tls, ...options });
  const url = new URL(settings.url);
  const { enableOfflineQueue, ...nodeOptions } = options;
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
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
