import type { BatchHandler } from '@kafka-ecs/kafka';
import { waitForReplicas, writeConnection } from '@kafka-ecs/service-kit';
import { createDeadLetterStore, type DeadLetterStore } from './dead-letter-store.ts';
import { type RedisClient, slotTag } from './redis-client.ts';
import { createRetryState, type RetryState } from './retry-state.ts';

export interface FailurePathStores {
  state: RetryState;
  deadLetters: DeadLetterStore;
  /** BullMQ's queue of this group's retry jobs. */
  queueName: string;
}

/**
 * Where one group's failure path keeps its state in Redis: the live system and its recovery
 * (recover-failure-path.ts) must agree on every name.
 */
export function failurePathStores(redis: RedisClient, groupId: string): FailurePathStores {
  return {
    state: createRetryState({ redis, prefix: `retry:${groupId}` }),
    // The dead letters' index is written with MULTI over several keys: one slot on a cluster.
    deadLetters: createDeadLetterStore({
      redis,
      prefix: slotTag(redis, `dead-letters:${groupId}`),
    }),
    // BullMQ queue names may not contain ':'; group ids may. BullMQ's scripts take several keys
    // of a queue, so on a cluster the name is one hash tag.
    queueName: slotTag(redis, `retry-${groupId.replace(/[^a-zA-Z0-9._-]/g, '_')}`),
  };
}

/**
 * A batch's Redis writes on `waitReplicas` replicas before its offsets are committed: a retry
 * job or an index entry lost in a failover would never be written again.
 */
export const afterReplicas =
  (redis: RedisClient, waitReplicas: number, handle: BatchHandler): BatchHandler =>
  async (batch) => {
    const writtenOn = writeConnection(redis);
    const result = await handle(batch);
    await waitForReplicas(redis, waitReplicas, "the failure path's writes", { writtenOn });
    return result;
  };
