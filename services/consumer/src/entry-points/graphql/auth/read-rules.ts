import { Repeater } from '@graphql-yoga/subscription';
import { GraphQLError } from 'graphql';
import type { Caller } from './bearer-authenticator.ts';

/** What a GraphQL operation knows about its caller (over HTTP and over WebSocket alike). */
export interface GraphqlContext {
  caller: Caller;
}

const unauthenticated = (caller: Caller) =>
  new GraphQLError(
    caller.kind === 'none'
      ? 'user data needs Authorization: Bearer <token>'
      : 'the bearer token is invalid or has expired',
    { extensions: { code: 'UNAUTHENTICATED' } },
  );

const forbidden = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });

/** `user(id)`: an operator reads anyone, a user only itself. Checked before anything is read. */
export function authorizeUserRead(caller: Caller, userId: string): void {
  if (caller.kind === 'operator') return;
  if (caller.kind !== 'user') throw unauthenticated(caller);
  if (caller.userId !== userId) throw forbidden('a login token reads its own user only');
}

/** `users`: operators only. */
export function authorizeUserList(caller: Caller): void {
  if (caller.kind === 'operator') return;
  if (caller.kind !== 'user') throw unauthenticated(caller);
  throw forbidden('listing users needs an operator token');
}

/**
 * `userNotification`: which notifications (a user's view hash, `id` its user id) the caller
 * receives; throws when it may subscribe to none. A user's subscription ends (UNAUTHENTICATED)
 * at the first notification after its token expired, so a socket does not outlive the token.
 */
export function notificationFilter(
  caller: Caller,
  now: () => number = Date.now,
): (notification: Record<string, string>) => boolean {
  if (caller.kind === 'operator') return () => true;
  if (caller.kind !== 'user') throw unauthenticated(caller);
  const { userId, expiresAt } = caller;
  return (notification) => {
    if (now() >= expiresAt.getTime()) throw unauthenticated({ kind: 'invalid' });
    return notification.id === userId;
  };
}

/** The longest delay setTimeout keeps (about 24.8 days); a longer one fires at once. */
const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * `source` for as long as the caller's login token is valid: at its expiry the subscription ends
 * with UNAUTHENTICATED, whether or not anything was published. (The filter above ends it at the
 * first notification after the expiry; on a quiet system that could be never, and the socket
 * outlived its token.) An operator's subscription is `source` as it is.
 */
export function untilTokenExpires<T>(
  caller: Caller,
  source: AsyncIterable<T>,
  now: () => number = Date.now,
): AsyncIterable<T> {
  if (caller.kind !== 'user') return source;
  const { expiresAt } = caller;
  return new Repeater<T>(async (push, stop) => {
    const values = source[Symbol.asyncIterator]();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const left = expiresAt.getTime() - now();
      if (left <= 0) return stop(unauthenticated({ kind: 'invalid' }));
      timer = setTimeout(arm, Math.min(left, TIMER_MAX_MS));
      // The subscription, not this timer, is what keeps the process serving.
      timer.unref();
    };
    arm();
    // As in endWhenBehind: the source is released when this ends, and a failed release is
    // nothing this subscription can still report.
    stop
      .then(() => {
        clearTimeout(timer);
        return values.return?.();
      })
      .catch(() => undefined);
    // One value at a time, taken by the reader before the next is asked: what waits stays in
    // the source's own bounded buffer.
    for (let next = await values.next(); next.done !== true; next = await values.next()) {
      await push(next.value);
    }
    stop();
  });
}
