import { FixedBuffer, Repeater } from '@graphql-yoga/subscription';
import { GraphQLError } from 'graphql';
import { callAt } from '../../infra/call-at.ts';

/**
 * Notifications one subscription may have waiting to be sent. A client that reads takes about
 * 30,000 a second here, so a burst of a batch's changes waits a moment and passes; a client
 * that stopped reading is ended once 5,000 wait, about 2 MB (some 400 bytes each).
 */
export const SUBSCRIBER_WAITING_MAX = 5_000;

/** The error a subscription ends with when its client does not keep up. */
export const subscriberBehind = (waitingMax: number) =>
  new GraphQLError(
    `this subscription fell more than ${waitingMax} notifications behind and was ended: subscribe again, and read what changed meanwhile with the user or users query`,
    { extensions: { code: 'SUBSCRIBER_BEHIND' } },
  );

/** When a subscription ends whatever happens: its caller's token's expiry, and the error then. */
export interface SubscriptionEnd {
  at: Date;
  error: () => Error;
}

/**
 * `source`, read as fast as it yields, with at most `waitingMax` values waiting for the reader;
 * one more ends the subscription with `subscriberBehind`, after the values already waiting. With
 * `endAt`, the subscription also ends at that moment with its error, whether or not anything
 * was published (a login token's expiry: read-rules.ts' `tokenExpiry`).
 *
 * Why: graphql-ws sends a subscription's next value only once the socket has taken the last
 * one. Were a client to stop reading, every notification of the system would queue on the
 * pub/sub's repeater behind it, and its 1,025th would throw inside the Redis client's message
 * handler: an uncaught exception, which ends the process and its Kafka consumer with it. Read
 * here instead, the source never queues, and what waits is bounded per subscription.
 */
export function endWhenBehind<T>(
  source: AsyncIterable<T>,
  options: { waitingMax?: number; endAt?: SubscriptionEnd } = {},
): AsyncIterableIterator<T> {
  const { waitingMax = SUBSCRIBER_WAITING_MAX, endAt } = options;
  // A buffer, not pending pushes: a repeater refuses more than 1,024 of those.
  const waiting = new FixedBuffer(waitingMax);
  return new Repeater<T>(async (push, stop) => {
    const values = source[Symbol.asyncIterator]();
    // The subscription, not this timer, is what keeps the process serving.
    const cancel = endAt ? callAt(endAt.at, () => stop(endAt.error())) : undefined;
    // Ending the subscription (the client left, it fell behind, its end came) releases the
    // source. A source whose release fails has nothing left to tell this subscription;
    // unhandled, it would end the process.
    stop
      .then(() => {
        cancel?.();
        return values.return?.();
      })
      .catch(() => undefined);
    for (let next = await values.next(); next.done !== true; next = await values.next()) {
      if (waiting.full) {
        stop(subscriberBehind(waitingMax));
        return;
      }
      void push(next.value);
    }
    stop();
  }, waiting);
}
