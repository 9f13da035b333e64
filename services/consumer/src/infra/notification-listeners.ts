import type { Redis } from 'ioredis';

/**
 * How many connections are subscribed to the notification channel, over every consumer
 * instance: each instance subscribes while it has a GraphQL subscriber, and unsubscribes after the
 * last one leaves (graphql-yoga's Redis event target).
 */
export async function countListeners(redis: Redis, channel: string): Promise<number> {
  const reply = (await redis.pubsub('NUMSUB', channel)) as [string, number];
  return Number(reply[1] ?? 0);
}
