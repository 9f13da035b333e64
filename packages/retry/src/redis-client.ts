import type { RedisClient } from '@kafka-ecs/service-kit';
import { Cluster } from 'ioredis';

/** A single Redis, or a Redis Cluster (`REDIS_CLUSTER`): the retry machinery runs on both. */
export type { RedisClient };

/**
 * `name` as one hash tag on a cluster, where a multi-key script or MULTI must stay in one slot
 * (BullMQ's scripts, the dead letters' index); unchanged on a single Redis, so the keys of a
 * deployment that runs there keep their names and nothing is orphaned (a move from a single
 * Redis to a cluster copies its keys anyway).
 */
export const slotTag = (redis: RedisClient, name: string): string =>
  redis instanceof Cluster ? `{${name}}` : name;
