import { type RedisClient, redisErrorForLog } from '@kafka-ecs/service-kit';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { UserView } from '../domain/user-view.ts';
import { toUserView } from './redis-view-store.ts';
import { throttledWarning } from './throttled-warning.ts';

/**
 * The consumer's command connections: fail a command quickly during an outage, so the consumer
 * holds its batch and retries, and a GraphQL read answers with an error instead of hanging.
 */
export const COMMAND_REDIS_OPTIONS = {
  maxRetriesPerRequest: 1,
  commandTimeout: 5_000,
} satisfies RedisOptions;

/**
 * The subscribing connection's options. ioredis' own re-subscribe after a reconnect is off: it
 * leaves its SUBSCRIBE's promise unhandled too, so `notificationSubscriber` does it instead.
 */
export const SUBSCRIBER_REDIS_OPTIONS = {
  ...COMMAND_REDIS_OPTIONS,
  autoResubscribe: false,
} satisfies RedisOptions;

/** Longest pause between two tries of a SUBSCRIBE refused while the client reads as ready. */
const RETRY_MAX_MS = 30_000;

/**
 * The subscribing connection as graphql-yoga's Redis event target needs it. The event target
 * calls `subscribe` and `unsubscribe` and never handles their promises: one refused during a
 * Redis outage (the client gives up after `maxRetriesPerRequest`) would be an unhandled
 * rejection, which ends a Node process. Here both always resolve; a refusal is logged. Every
 * channel still wanted is subscribed again whenever the client is ready again (a reconnected
 * connection, with `SUBSCRIBER_REDIS_OPTIONS`, is subscribed to nothing), and, when a SUBSCRIBE
 * is refused while the client reads as ready, after a growing pause. Not covered: a cluster
 * client that moves its subscriber to another node re-subscribes by itself, inside ioredis,
 * and a failure of that is not reported here.
 */
export function notificationSubscriber<T extends RedisClient>(client: T, logger: Logger): T {
  const wanted = new Set<string>();
  const subscribe = (channel: string, attempt = 1): Promise<void> =>
    client.subscribe(channel).then(
      () => undefined,
      (error: unknown) => {
        logger.warn(
          { err: redisErrorForLog(error), channel, attempt },
          'notification channel not subscribed; trying again',
        );
        if (client.status !== 'ready') return; // the next `ready` subscribes it
        const pauseMs = Math.min(RETRY_MAX_MS, 500 * 2 ** (attempt - 1));
        setTimeout(() => {
          if (wanted.has(channel)) void subscribe(channel, attempt + 1);
        }, pauseMs).unref();
      },
    );
  const unsubscribe = (channel: string): Promise<void> =>
    client.unsubscribe(channel).then(
      () => undefined,
      // Refused with the connection lost: it comes back subscribed to nothing.
      (error: unknown) =>
        logger.debug({ err: redisErrorForLog(error), channel }, 'notification channel not left'),
    );
  client.on('ready', () => {
    for (const channel of wanted) void subscribe(channel);
  });
  // Everything else (`on('message')`, status) is the client's own.
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'subscribe') {
        return (channel: string) => {
          wanted.add(channel);
          return subscribe(channel);
        };
      }
      if (property === 'unsubscribe') {
        return (channel: string) => {
          wanted.delete(channel);
          return unsubscribe(channel);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

/**
 * How the Redis event target reads a notification: as the apply script publishes it, a JSON
 * object of strings that makes a whole user, read once into that user for every subscriber of
 * this instance; anything else is null. It runs inside ioredis' message handler,
 * where a throw is an uncaught exception that ends the process: one `PUBLISH` of anything else on
 * the channel (an operator's test, another deployment sharing the prefix) would have stopped
 * every instance with a subscriber, and its Kafka consumer with it. What it drops is logged by
 * size only (the text may be anyone's data), once a minute at most with how many.
 */
export function notificationSerializer(logger: Logger) {
  const dropped = throttledWarning(logger, 'notifications not understood; dropped');
  return {
    stringify: (value: unknown) => JSON.stringify(value),
    parse(text: string): UserView | null {
      const value = parsedOrUndefined(text);
      const user = isUserHash(value) ? toUserView(value) : null;
      if (user) return user;
      dropped({ bytes: Buffer.byteLength(text) });
      return null;
    },
  };
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isUserHash(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((field) => typeof field === 'string')
  );
}
