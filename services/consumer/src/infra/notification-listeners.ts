import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-view-store.ts';

/**
 * How many connections are subscribed to the notification channel, over every consumer
 * instance: each instance subscribes while it has a GraphQL subscriber, and unsubscribes after the
 * last one leaves (graphql-yoga's Redis event target). A cluster counts per node (a PUBLISH
 * reaches every node, a subscriber is connected to one), so every node is asked.
 */
export async function countListeners(redis: RedisClient, channel: string): Promise<number> {
  const nodes = redis instanceof Cluster ? redis.nodes('all') : [redis];
  const counts = await Promise.all(
    nodes.map(async (node) => {
      const reply = (await node.pubsub('NUMSUB', channel)) as [string, number];
      return Number(reply[1] ?? 0);
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
